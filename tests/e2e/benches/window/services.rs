//! The services the idle benchmark's runbook probes: one HTTP server on 127.0.0.1 (a
//! port of its own) that answers every `/health…` with 200 and `/metrics` with two
//! Prometheus series that change at every scrape, so the charts get a new point each time.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

pub struct Services {
    pub port: u16,
    /// Requests answered so far.
    pub answered: Arc<AtomicU64>,
}

impl Services {
    /// Starts the server on a thread that lives as long as the benchmark.
    pub fn start() -> Result<Services> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let answered = Arc::new(AtomicU64::new(0));
        let count = answered.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let n = count.fetch_add(1, Ordering::Relaxed);
                // A client that hangs up early is its own business.
                let _ = answer(stream, n);
            }
        });
        Ok(Services { port, answered })
    }
}

fn answer(mut stream: TcpStream, n: u64) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // The headers, up to the blank line.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (content_type, body) = if path.starts_with("/metrics") {
        (
            "text/plain; version=0.0.4",
            format!(
                "# TYPE bench_requests_total counter\nbench_requests_total {}\n\
                 # TYPE bench_latency_ms gauge\nbench_latency_ms {}\n",
                n * 7,
                20 + (n * 37) % 50
            ),
        )
    } else {
        ("text/plain", "ok\n".to_owned())
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}
