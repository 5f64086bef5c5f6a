//! A progress bar that appears only when work lasts more than a second and
//! stderr is a terminal.

use empower_ingest::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct DelayedBar {
    bar: ProgressBar,
    started: Mutex<Instant>,
    shown: Mutex<bool>,
    tty: bool,
}

impl DelayedBar {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        DelayedBar {
            bar,
            started: Mutex::new(Instant::now()),
            shown: Mutex::new(false),
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn tick(&self, done: u64) {
        self.bar.set_position(done);
        let mut shown = self.shown.lock().expect("progress lock");
        if !*shown
            && self.tty
            && self.started.lock().expect("progress lock").elapsed() > Duration::from_secs(1)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            *shown = true;
        }
    }

    pub fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for DelayedBar {
    fn start(&self, file: &Path, total: u64) {
        let name = file
            .file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default();
        self.begin(&format!("reading {name}"), total);
    }
    fn begin(&self, task: &str, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_message(task.to_string());
    }
    fn advance(&self, done: u64) {
        self.tick(done);
    }
    fn finish(&self) {
        let len = self.bar.length().unwrap_or(0);
        self.tick(len);
    }
}
