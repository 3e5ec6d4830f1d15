//! Window captures in the real windows: S writes a PNG of the presenter's window into
//! `.cuedeck/captures/tour/` beside the runbook (a copy of our tour), at the window's
//! size in device pixels and not blank; Shift+S without an audience window says so;
//! with it open, Shift+S writes one of the audience window, at the audience's size.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use cuedeck_e2e::{tour_copy, with_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;

/// A second webview starts.
const WINDOW_TIMEOUT: Duration = Duration::from_secs(30);
/// A snapshot is painted, encoded and written.
const CAPTURE_TIMEOUT: Duration = Duration::from_secs(10);
/// Below this standard deviation of the pixels' luminance (0..255) a picture is blank.
const MIN_CONTRAST: f64 = 5.0;

/// The window's inner size in device pixels (`innerWidth/innerHeight × devicePixelRatio`).
async fn device_size(app: &App) -> Result<(u32, u32)> {
    let v = app
        .js("return [window.innerWidth, window.innerHeight, window.devicePixelRatio];")
        .await?;
    let n = |i: usize| {
        v[i].as_f64()
            .with_context(|| format!("size part {i} in {v}"))
    };
    let (w, h, dpr) = (n(0)?, n(1)?, n(2)?);
    Ok(((w * dpr).round() as u32, (h * dpr).round() as u32))
}

fn pngs(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "png"))
                .collect()
        })
        .unwrap_or_default()
}

/// A decoded PNG: its size and the standard deviation of its pixels' luminance.
struct Decoded {
    width: u32,
    height: u32,
    contrast: f64,
}

fn decode(path: &Path) -> Result<Decoded> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .with_context(|| format!("reading {}", path.display()))?;
    let mut buf = vec![0; reader.output_buffer_size().context("PNG too large")?];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("decoding {}", path.display()))?;
    let channels = info.color_type.samples();
    let data = &buf[..info.buffer_size()];
    let (mut sum, mut sq, mut n) = (0f64, 0f64, 0f64);
    for px in data.chunks_exact(channels) {
        let l = if channels >= 3 {
            0.2126 * f64::from(px[0]) + 0.7152 * f64::from(px[1]) + 0.0722 * f64::from(px[2])
        } else {
            f64::from(px[0])
        };
        sum += l;
        sq += l * l;
        n += 1.0;
    }
    let mean = sum / n.max(1.0);
    Ok(Decoded {
        width: info.width,
        height: info.height,
        contrast: (sq / n.max(1.0) - mean * mean).max(0.0).sqrt(),
    })
}

/// Waits for a PNG in `dir` that is not in `before` and decodes whole; returns it and
/// how long after `since` it was first seen complete.
async fn new_capture(
    dir: &Path,
    before: &BTreeSet<PathBuf>,
    since: Instant,
) -> Result<(PathBuf, Decoded, Duration)> {
    loop {
        if let Some(p) = pngs(dir).difference(before).next() {
            if let Ok(d) = decode(p) {
                return Ok((p.clone(), d, since.elapsed()));
            }
        }
        if since.elapsed() > CAPTURE_TIMEOUT {
            bail!(
                "no new capture in {} after {CAPTURE_TIMEOUT:?}",
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `NN-<step id>-HH-MM-SS.png` (or with `-N` before `.png`).
fn check_name(path: &Path, number: usize, step: &str) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("a file name")?;
    let prefix = format!("{number:02}-{step}-");
    let rest = name
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix(".png"))
        .with_context(|| format!("{name} is not {prefix}HH-MM-SS.png"))?;
    let parts: Vec<&str> = rest.split('-').collect();
    ensure!(
        (parts.len() == 3 || parts.len() == 4)
            && parts[..3]
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())),
        "{name}: the time part {rest:?} is not HH-MM-SS"
    );
    Ok(())
}

#[tokio::test]
async fn s_and_shift_s_capture_the_presenter_and_the_audience_windows() -> Result<()> {
    let test = "s_and_shift_s_capture_the_presenter_and_the_audience_windows";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    let (dir, runbook) = tour_copy("capture")?;
    let captures = dir.join(".cuedeck").join("captures").join("tour");
    let artifacts = env.artifacts.clone();
    let result = with_app(&env, "capture", &runbook, async |app| {
        app.wait_ready().await?;
        app.go_to_step("set-the-stage").await?;
        let number = app
            .js("return [...document.querySelectorAll('#steps li.step')]\
                 .findIndex(s => s.getAttribute('aria-current') === 'step') + 1;")
            .await?
            .as_u64()
            .context("the current step's number")? as usize;
        let presenter = app.window().await?;
        let presenter_size = device_size(app).await?;

        // S: the presenter's window, at its size, not blank; the message line names the file.
        let before = pngs(&captures);
        let pressed = Instant::now();
        app.press_char('s').await?;
        let (shot, decoded, took) = new_capture(&captures, &before, pressed).await?;
        eprintln!(
            "capture: presenter {}x{} written {} ms after the key press ({})",
            decoded.width,
            decoded.height,
            took.as_millis(),
            shot.display()
        );
        check_name(&shot, number, "set-the-stage")?;
        ensure!(
            (decoded.width, decoded.height) == presenter_size,
            "the presenter's capture is {}x{}, the window {}x{}",
            decoded.width,
            decoded.height,
            presenter_size.0,
            presenter_size.1
        );
        ensure!(
            decoded.contrast > MIN_CONTRAST,
            "the presenter's capture is blank (contrast {:.2})",
            decoded.contrast
        );
        let file = shot.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        app.wait_for(
            "the message line to name the capture",
            &format!(
                "document.getElementById('show-notice').innerText.includes({:?})",
                format!(".cuedeck/captures/tour/{file}")
            ),
            UI_TIMEOUT,
        )
        .await?;
        std::fs::create_dir_all(&artifacts)?;
        std::fs::copy(&shot, artifacts.join("capture-presenter.png"))?;

        // Shift+S with no audience window: says so, writes nothing.
        let before = pngs(&captures);
        app.chord(&[Key::Shift], 'S').await?;
        app.wait_for(
            "the message line to say the audience window is not open",
            "document.getElementById('show-notice').innerText.includes('audience window is not open')",
            UI_TIMEOUT,
        )
        .await?;
        ensure!(pngs(&captures) == before, "a capture was written without an audience window");

        // A, then Shift+S: the audience window, at the audience's size.
        app.press_char('a').await?;
        let audience = app.wait_for_new_window(&presenter, WINDOW_TIMEOUT).await?;
        app.switch_to(&audience).await?;
        app.wait_ready().await?;
        app.wait_for(
            "the audience to show the step",
            "document.getElementById('audience-title').innerText === 'Set the Stage'",
            UI_TIMEOUT,
        )
        .await?;
        let audience_size = device_size(app).await?;
        app.switch_to(&presenter).await?;
        ensure!(
            audience_size != presenter_size,
            "the windows have the same size ({audience_size:?}): the check could not tell them apart"
        );
        let pressed = Instant::now();
        app.chord(&[Key::Shift], 'S').await?;
        let (shot, decoded, took) = new_capture(&captures, &before, pressed).await?;
        eprintln!(
            "capture: audience {}x{} written {} ms after the key press ({})",
            decoded.width,
            decoded.height,
            took.as_millis(),
            shot.display()
        );
        check_name(&shot, number, "set-the-stage")?;
        ensure!(
            (decoded.width, decoded.height) == audience_size,
            "the audience's capture is {}x{}, the audience window {}x{} (the presenter's {}x{})",
            decoded.width,
            decoded.height,
            audience_size.0,
            audience_size.1,
            presenter_size.0,
            presenter_size.1
        );
        ensure!(
            decoded.contrast > MIN_CONTRAST,
            "the audience's capture is blank (contrast {:.2})",
            decoded.contrast
        );
        app.wait_for(
            "the message line to name the audience's capture",
            "document.getElementById('show-notice').innerText.includes('Captured the audience window')",
            UI_TIMEOUT,
        )
        .await?;
        std::fs::copy(&shot, artifacts.join("capture-audience.png"))?;
        ensure!(pngs(&captures).len() == 2, "two captures, no more: {:?}", pngs(&captures));
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
