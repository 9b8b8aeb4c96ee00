//! Ctrl-C and SIGTERM: the first cancels the run, which stops at a page
//! boundary and saves its checkpoint; a second exits at once.

use faucet_core::CancellationToken;

use crate::exit::Exit;
use crate::progress;

/// Cancels `token` on the first Ctrl-C (SIGINT) or SIGTERM and exits with
/// code 130 on the second. Must be called inside the runtime.
pub(crate) fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    let mut signals = Signals::new()?;
    tokio::spawn(async move {
        signals.next().await;
        progress::above_bar(|| {
            eprintln!(
                "Interrupted: stopping at the next page boundary and saving the checkpoint \
                 (press Ctrl-C again to exit at once)"
            );
        });
        token.cancel();
        signals.next().await;
        eprintln!("Interrupted again: exiting now; the last saved checkpoint stands");
        std::process::exit(Exit::Interrupted as i32);
    });
    Ok(())
}

/// The stop signals of the platform.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the next SIGINT or SIGTERM.
    #[cfg(unix)]
    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    /// Waits for the next Ctrl-C.
    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
