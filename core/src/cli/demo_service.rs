//! `cuedeck demo-service [--port N] [--host ADDR]`: runs the built-in demo service
//! until Ctrl-C or SIGTERM. Prints `demo-service listening on http://HOST:PORT` once
//! it accepts connections (runbooks wait for that line); `--port 0` picks a free port.

use std::net::IpAddr;
use std::process::ExitCode;

use crate::demo_service::{self, DEFAULT_PORT};

#[derive(Debug, clap::Args)]
pub struct DemoServiceArgs {
    /// The port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// The loopback address to listen on (127.0.0.1 or ::1; others are refused).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
}

pub const EXIT_CANNOT_LISTEN: u8 = 2;

pub fn run(args: &DemoServiceArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the demo service's runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_LISTEN);
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: &DemoServiceArgs) -> ExitCode {
    if !args.host.is_loopback() {
        // `/admin/fault` takes anyone's request: never offer it to the network.
        eprintln!(
            "error: the demo service listens on loopback only (its /admin endpoints have no authentication); got --host {}",
            args.host
        );
        return ExitCode::from(EXIT_CANNOT_LISTEN);
    }
    let listener = match tokio::net::TcpListener::bind((args.host, args.port)).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let holder = crate::probe::ports::held_by(args.port);
            eprintln!(
                "error: port {} is already in use{holder}; stop it or pass --port",
                args.port
            );
            return ExitCode::from(EXIT_CANNOT_LISTEN);
        }
        Err(e) => {
            eprintln!("error: cannot listen on {}:{}: {e}", args.host, args.port);
            return ExitCode::from(EXIT_CANNOT_LISTEN);
        }
    };
    let address = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot read the listening address: {e}");
            return ExitCode::from(EXIT_CANNOT_LISTEN);
        }
    };
    println!("demo-service listening on http://{address}");
    eprintln!("endpoints: /health /work /metrics /_metrics /admin/fault (Ctrl-C stops)");
    match demo_service::serve(listener, shutdown_signal()).await {
        Ok(()) => {
            eprintln!("demo-service stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the demo service failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(e) => {
            tracing::warn!("cannot watch SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
