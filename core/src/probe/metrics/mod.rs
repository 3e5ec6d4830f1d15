//! Metrics sources: a poll's body (Prometheus text exposition or JSON) turned into
//! the points of the series the runbook selects. Counters become rates, which needs
//! the previous poll: a [`SourceReader`] keeps that state per source.

use crate::probe::events::{MetricPoint, UnixMs};
use crate::runbook::MetricSource;

/// Why a poll's body gave no points.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetricsError {
    /// Placeholder until the readers land; never returned once they do.
    #[error("metrics reading is not implemented yet")]
    NotImplemented,
}

/// Reads successive polls of one metrics source.
#[derive(Debug)]
pub struct SourceReader {
    source: MetricSource,
}

impl SourceReader {
    pub fn new(source: &MetricSource) -> Self {
        Self {
            source: source.clone(),
        }
    }

    /// The source this reader reads.
    pub fn source(&self) -> &MetricSource {
        &self.source
    }

    /// The points of the selected series in one poll's body, taken at `at`.
    pub fn read(&mut self, _body: &str, _at: UnixMs) -> Result<Vec<MetricPoint>, MetricsError> {
        Err(MetricsError::NotImplemented)
    }
}
