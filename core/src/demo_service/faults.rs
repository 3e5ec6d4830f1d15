//! Faults the presenter injects into the demo service: a share of requests answered
//! 503, extra latency, or a hang (requests held until the hang is cleared).

use std::time::Duration;

use serde::Serialize;

/// What is wrong with the service right now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    /// Share of `/work` and `/health` requests answered 503, 0.0–1.0.
    pub error_rate: f64,
    /// Added to every `/work` and `/health` answer.
    #[serde(serialize_with = "as_millis")]
    pub latency: Duration,
    /// `/work` and `/health` never answer until the hang is cleared.
    pub hang: bool,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Faults {
    pub fn is_clear(&self) -> bool {
        *self == Faults::default()
    }

    /// The fault kinds as Prometheus labels and whether each is on.
    pub fn kinds(&self) -> [(&'static str, bool); 3] {
        [
            ("error", self.error_rate > 0.0),
            ("latency", !self.latency.is_zero()),
            ("hang", self.hang),
        ]
    }
}

/// A fault change asked for by `POST /admin/fault?error=0.5&latency=300ms&hang=true`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FaultQuery {
    pub error: Option<String>,
    pub latency: Option<String>,
    pub hang: Option<String>,
}

impl FaultQuery {
    /// Applies the parameters given to `faults`; a bad value is a message for a 400.
    pub fn apply(&self, faults: &mut Faults) -> Result<(), String> {
        if self.error.is_none() && self.latency.is_none() && self.hang.is_none() {
            return Err(
                "give at least one of error=0.0-1.0, latency=300ms, hang=true|false".into(),
            );
        }
        if let Some(e) = &self.error {
            faults.error_rate = e
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    format!("error must be a share between 0 and 1, like 0.5 (got `{e}`)")
                })?;
        }
        if let Some(l) = &self.latency {
            faults.latency = crate::runbook::parse_duration_ms(l)
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    format!("latency must be a duration like 300ms or 2s (got `{l}`)")
                })?;
        }
        if let Some(h) = &self.hang {
            faults.hang = match h.as_str() {
                "true" | "1" | "on" | "" => true,
                "false" | "0" | "off" => false,
                other => return Err(format!("hang must be true or false (got `{other}`)")),
            };
        }
        Ok(())
    }
}

/// Decides which requests fail at the error rate, evenly and without randomness: with
/// 0.25, exactly one request in four fails.
#[derive(Debug, Default)]
pub struct ErrorPacer {
    credit: f64,
}

impl ErrorPacer {
    pub fn should_fail(&mut self, rate: f64) -> bool {
        if rate <= 0.0 {
            self.credit = 0.0;
            return false;
        }
        self.credit += rate;
        if self.credit >= 1.0 - 1e-9 {
            self.credit -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_paced_exactly() {
        let mut p = ErrorPacer::default();
        let fails = (0..100).filter(|_| p.should_fail(0.25)).count();
        assert_eq!(fails, 25);
        let fails = (0..10).filter(|_| p.should_fail(1.0)).count();
        assert_eq!(fails, 10);
        assert!(!p.should_fail(0.0));
    }

    #[test]
    fn queries_are_validated() {
        let mut f = Faults::default();
        let q = FaultQuery {
            error: Some("0.5".into()),
            latency: Some("300ms".into()),
            hang: None,
        };
        q.apply(&mut f).unwrap();
        assert_eq!(f.error_rate, 0.5);
        assert_eq!(f.latency, Duration::from_millis(300));
        let bad = FaultQuery {
            error: Some("2".into()),
            ..FaultQuery::default()
        };
        assert!(bad.apply(&mut f).unwrap_err().contains("between 0 and 1"));
        assert!(FaultQuery::default().apply(&mut f).is_err());
    }
}
