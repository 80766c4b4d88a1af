//! The terminal layer: set-up and restore (normal exit, panic, SIGTERM, SIGHUP, Ctrl-Z/fg),
//! and the event loop that feeds [`Action`]s to [`app::update`] and draws only on change.
//!
//! No business logic lives here: keys become actions, commands go to the worker, except the
//! few that are about the terminal itself (quit, suspend, clipboard).

use crate::app::{self, Action, Command, State};
use crate::config::ClipboardMode;
use crate::ui;
use base64::Engine;
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use std::io::{self, Stdout, Write};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// How the loop copies to the clipboard.
#[derive(Debug, Clone, Copy)]
pub struct ClipboardSettings {
    pub mode: ClipboardMode,
    pub max_bytes: usize,
}

/// Puts the terminal in raw mode on the alternate screen; restores it when dropped, so an
/// early return or a `?` can't leave the analyst's shell broken.
pub struct TerminalGuard {
    /// Always `Some` until drop.
    terminal: Option<Term>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enter_screen()?;
        Ok(TerminalGuard {
            terminal: Some(fresh_terminal()?),
        })
    }

    /// Starts over with empty buffers, so the next draw repaints every cell (after Ctrl-Z/fg
    /// the screen is whatever the shell left).
    fn repaint_all(&mut self) -> io::Result<()> {
        self.terminal = Some(fresh_terminal()?);
        Ok(())
    }

    pub fn terminal(&mut self) -> &mut Term {
        self.terminal
            .as_mut()
            .expect("the terminal lives until the guard is dropped")
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let Some(mut terminal) = self.terminal.take() else {
            return;
        };
        let cursor_back = terminal.show_cursor().is_ok();
        restore_screen();
        if cursor_back {
            drop(terminal);
        } else {
            // The terminal is gone (SSH drop, SIGHUP). ratatui's own Drop would retry showing
            // the cursor and report the failure with eprintln!, which panics when stderr is a
            // dead tty; there is nothing left to restore, so skip it.
            std::mem::forget(terminal);
        }
    }
}

/// A cleared screen and a terminal with empty buffers.
///
/// Not `Terminal::clear()`: that asks the terminal for the cursor position (`ESC [6n`) and
/// waits for the answer, a round trip before the first frame on a slow SSH link, and up to
/// two seconds where nothing answers. A full-screen viewport needs no such probe.
fn fresh_terminal() -> io::Result<Term> {
    execute!(io::stdout(), Clear(ClearType::All))?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

fn enter_screen() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Leaves raw mode and the alternate screen. Errors are ignored: after an SSH drop there is
/// no terminal left to restore, and restoring must never panic.
pub fn restore_screen() {
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_screen();
            // A panic message may quote Graph data: it reaches the log sanitised like any.
            tracing::error!(panic = %crate::sanitize::line(&info.to_string()), "panic");
            previous(info);
        }));
    });
}

/// How a console run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The analyst quit, or the session ended (SIGTERM/SIGHUP, terminal gone).
    Quit,
    /// `:profile NAME`: the caller opens that profile (client, outbox, worker) and runs a
    /// fresh console in the same terminal, or tells `state` why not and runs it again.
    SwitchProfile(String),
}

/// Runs the console in `guard`'s terminal until the analyst quits, the session ends or a
/// profile switch is asked for. `fresh`: a new `state`, whose first loads are sent; false
/// when resuming a console after a switch that failed.
pub async fn run(
    guard: &mut TerminalGuard,
    state: &mut State,
    commands: &mpsc::UnboundedSender<Command>,
    updates: &mut mpsc::Receiver<Action>,
    clipboard: ClipboardSettings,
    fresh: bool,
) -> anyhow::Result<Exit> {
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;

    state.set_now(OffsetDateTime::now_utc());
    let size = guard.terminal().size()?;
    let mut pending = app::update(state, Action::Resize(size.width, size.height));
    if fresh {
        pending.extend(state.initial_commands());
    }
    state.dirty = true;

    loop {
        for command in pending.drain(..) {
            match command {
                Command::Quit => return Ok(Exit::Quit),
                Command::SwitchProfile(name) => return Ok(Exit::SwitchProfile(name)),
                Command::Suspend => {
                    suspend(guard)?;
                    state.dirty = true;
                }
                Command::CopyToClipboard(text) => {
                    let notice = copy_osc52(guard.terminal(), &text, clipboard);
                    let _ = app::update(state, Action::Notice(notice));
                }
                other => {
                    if commands.send(other).is_err() {
                        anyhow::bail!("the background worker stopped");
                    }
                }
            }
        }
        if state.should_quit() {
            return Ok(Exit::Quit);
        }
        if state.dirty {
            guard.terminal().draw(|frame| ui::render(state, frame))?;
            state.dirty = false;
        }

        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Action::Key(key),
                Some(Ok(Event::Paste(text))) => Action::Paste(text),
                // ratatui resizes its buffers on the next draw.
                Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "terminal input failed");
                    return Err(e.into());
                }
                None => return Ok(Exit::Quit),
            },
            Some(update) = updates.recv() => update,
            _ = ticker.tick() => {
                state.set_now(OffsetDateTime::now_utc());
                Action::Tick
            }
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: leaving");
                return Ok(Exit::Quit);
            }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP (terminal gone): leaving");
                return Ok(Exit::Quit);
            }
        };
        pending = app::update(state, action);
        // Coalesce a burst of worker updates (pages arriving quickly) into one frame.
        let mut drained = 0;
        while drained < 64 {
            match updates.try_recv() {
                Ok(update) => pending.extend(app::update(state, update)),
                Err(_) => break,
            }
            drained += 1;
        }
    }
}

/// Ctrl-Z: give the terminal back, stop the process, and take the screen again on `fg`.
fn suspend(guard: &mut TerminalGuard) -> io::Result<()> {
    restore_screen();
    // Raw mode turned ISIG off, so the tty did not send SIGTSTP; send it ourselves. The call
    // returns once the shell continues us.
    // SAFETY: raise() has no memory-safety preconditions.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter_screen()?;
    guard.repaint_all()
}

/// Copies with OSC 52. The payload is base64, so it cannot carry escape sequences; inside
/// tmux or screen the sequence is also wrapped in a DCS passthrough.
fn copy_osc52(terminal: &mut Term, text: &str, settings: ClipboardSettings) -> String {
    if settings.mode == ClipboardMode::Off {
        return "clipboard is off in the config (ui.clipboard)".to_owned();
    }
    if text.len() > settings.max_bytes {
        return format!(
            "not copied: {} bytes is over the {}-byte limit",
            text.len(),
            settings.max_bytes
        );
    }
    let sequence = osc52_sequence(
        text,
        std::env::var_os("TMUX").is_some(),
        std::env::var("TERM").is_ok_and(|t| t.starts_with("screen")),
    );
    let out = terminal.backend_mut();
    match out.write_all(sequence.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => format!("copied {} bytes", text.len()),
        Err(e) => format!("copy failed: {e}"),
    }
}

/// The bytes that ask the terminal to put `text` on the clipboard.
pub fn osc52_sequence(text: &str, in_tmux: bool, in_screen: bool) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let plain = format!("\x1b]52;c;{payload}\x07");
    if in_tmux {
        // Plain for tmux's own set-clipboard, wrapped for allow-passthrough to the outer terminal.
        format!("{plain}\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\")
    } else if in_screen {
        format!("\x1bP\x1b]52;c;{payload}\x07\x1b\\")
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_payload_is_base64_only() {
        let seq = osc52_sequence("id\x1b]52;evil\x07", false, false);
        assert!(seq.starts_with("\x1b]52;c;"));
        let inner = &seq["\x1b]52;c;".len()..seq.len() - 1];
        assert!(
            inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        );
    }

    #[test]
    fn osc52_wraps_for_tmux_and_screen() {
        assert!(osc52_sequence("x", true, false).contains("\x1bPtmux;"));
        assert!(osc52_sequence("x", false, true).starts_with("\x1bP\x1b]52"));
    }
}
