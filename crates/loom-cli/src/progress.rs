//! Progress on stderr for long-running commands: an indicatif spinner with the elapsed
//! time when stderr is a terminal (unless the data goes to that terminal too), nothing
//! otherwise or with `--quiet`; a bar with the time left instead once the command counts
//! its steps (through a [`loom_core::Progress`] observer: `stats` row by row or column
//! by column, the others as loom-core's operations report); log lines (warnings, the
//! summary) on stderr unless `--quiet`.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner (or nothing) plus the quiet flag.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Starts showing `message` unless quiet or stderr is not a terminal.
    pub fn start(message: &str, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_message(message.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar, quiet }
    }

    /// [`Progress::start`] for a command whose data goes to `output`: no spinner when
    /// that is standard output (`-`) on a terminal, where it would be drawn among the data.
    pub fn start_writing(message: &str, quiet: bool, output: &Path) -> Self {
        let shared = output.as_os_str() == "-" && std::io::stdout().is_terminal();
        Progress {
            quiet,
            ..Self::start(message, quiet || shared)
        }
    }

    /// An observer for a loom-core operation: the spinner becomes a bar of the
    /// operation's steps at its first report (unobserved when nothing is shown).
    pub fn observer(&self) -> loom_core::Progress {
        let Some(bar) = self.bar.clone() else {
            return loom_core::Progress::default();
        };
        loom_core::Progress::new(move |done, total| {
            bar.set_position(done);
            if bar.length() != Some(total) {
                as_bar(&bar, total);
            }
        })
    }

    /// A log line on stderr (above the spinner), unless quiet.
    pub fn log(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the spinner.
    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// Makes `bar` a bar of `len` steps, with the time left.
fn as_bar(bar: &ProgressBar, len: u64) {
    let template = "{msg} {wide_bar} {human_pos}/{human_len} [{elapsed}<{eta}]";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_length(len);
}
