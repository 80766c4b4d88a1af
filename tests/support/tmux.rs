//! A real terminal for tests of the console: tmux on a socket of the test's own.

use std::process::Command;
use std::time::Duration;

/// A tmux server of this test's own (its own socket), killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux (installed with the test tools) runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "console"])
    }

    /// Waits until the screen satisfies `ok`; panics with the screen after a generous
    /// deadline (this bounds a hang, it measures nothing).
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        for _ in 0..300 {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {what}; screen:\n{}", self.screen());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
