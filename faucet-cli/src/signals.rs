//! Ctrl-C and SIGTERM: the first cancels the run, which stops at a page
//! boundary and saves its checkpoint; a second exits at once.

use faucet_core::CancellationToken;
use tokio::signal::unix::{SignalKind, signal};

use crate::exit::Exit;

/// Cancels `token` on the first SIGINT or SIGTERM and exits with code 130
/// on the second. Must be called inside the runtime.
pub(crate) fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let mut received = 0;
        loop {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            received += 1;
            if received == 1 {
                eprintln!(
                    "\nInterrupted: stopping at the next page boundary and saving the checkpoint (press Ctrl-C again to exit at once)"
                );
                token.cancel();
            } else {
                eprintln!("Interrupted again: exiting now; the last saved checkpoint stands");
                std::process::exit(Exit::Interrupted as i32);
            }
        }
    });
    Ok(())
}
