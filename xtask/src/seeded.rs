//! What the seeded random crosschecks (`crosscheck-io`, `crosscheck-ops`) share: their
//! arguments, and the loop over seeds. For each seed, `xtask/crosscheck/SCRIPT gen DIR
//! SEED` writes the inputs with the real tools, loom-rs does its part, and `SCRIPT check
//! DIR` compares, printing one `OK …` or `FAIL …` line per comparison.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;
use crate::Workspace;

/// One seeded crosscheck, parsed from `[--seed N] [--count K] [--keep] [--python PY]`.
pub struct Seeded {
    /// The command's name (`crosscheck-io`), in messages and under `target/tmp/`.
    name: &'static str,
    script: PathBuf,
    python: PathBuf,
    base: PathBuf,
    seed: u64,
    count: u64,
    keep: bool,
}

impl Seeded {
    /// Parses the arguments of `cargo xtask NAME`, whose generator and checker is
    /// `xtask/crosscheck/SCRIPT`; `count` seeds unless `--count` says otherwise.
    pub fn parse(
        ws: &Workspace,
        args: &[String],
        name: &'static str,
        script: &str,
        count: u64,
        usage: &str,
    ) -> Result<Self, String> {
        let (mut seed, mut count, mut keep, mut python) = (1u64, count, false, None);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut number = || -> Result<u64, String> {
                let v = it.next().ok_or(format!("{a} needs a number"))?;
                v.parse().map_err(|_| format!("{a} `{v}`: not a number"))
            };
            match a.as_str() {
                "--seed" => seed = number()?,
                "--count" => count = number()?,
                "--keep" => keep = true,
                "--python" => python = Some(it.next().ok_or("--python needs a path")?.clone()),
                other => return Err(format!("unexpected argument `{other}`\n\n{usage}")),
            }
        }
        let python = match python {
            Some(p) => PathBuf::from(p),
            None => util::ensure_python(&ws.root, None, false)?,
        };
        Ok(Seeded {
            name,
            script: ws.root.join("xtask").join("crosscheck").join(script),
            python,
            base: ws.root.join("target").join("tmp").join(name),
            seed,
            count,
            keep,
        })
    }

    /// Runs every seed: the generator (`needs` says what it needs when it fails), then
    /// `ours(dir)` (loom-rs's side: `Err` stops the run, `Ok` lists `FAIL …` lines), then
    /// the checker. A seed's directory is deleted when it passes, unless `--keep`.
    pub fn run(
        &self,
        needs: &str,
        mut ours: impl FnMut(&Path) -> Result<Vec<String>, String>,
    ) -> Result<(), String> {
        let (mut passed, mut failed) = (0, Vec::new());
        for case in self.seed..self.seed + self.count {
            let dir = self.base.join(format!("seed-{case}"));
            let _ = std::fs::remove_dir_all(&dir);
            util::run(
                Command::new(&self.python)
                    .arg(&self.script)
                    .arg("gen")
                    .arg(&dir)
                    .arg(case.to_string()),
                &format!("{} gen failed; it needs {needs}.", self.script.display()),
            )?;
            let mut lines = ours(&dir)?;
            let out = Command::new(&self.python)
                .arg(&self.script)
                .arg("check")
                .arg(&dir)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", self.script.display()))?;
            let text = String::from_utf8_lossy(&out.stdout);
            for l in text.lines() {
                let name = l.split(':').next().unwrap_or("");
                // A step of ours that failed is reported once, by its own error.
                if !lines
                    .iter()
                    .any(|x| x.starts_with(name.replace("OK ", "FAIL ").as_str()))
                {
                    lines.push(l.to_string());
                }
            }
            if !out.status.success() {
                lines.push(format!(
                    "FAIL check script: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            let fails: Vec<&String> = lines.iter().filter(|l| l.starts_with("FAIL")).collect();
            let oks = lines.iter().filter(|l| l.starts_with("OK")).count();
            eprintln!("seed {case}: {oks} ok, {} failed", fails.len());
            for f in &fails {
                eprintln!("  {f}");
            }
            passed += oks;
            if fails.is_empty() {
                if !self.keep {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            } else {
                failed.extend(fails.iter().map(|f| format!("seed {case}: {f}")));
                eprintln!("  kept {}", dir.display());
            }
        }
        eprintln!("{}: {passed} passed, {} failed", self.name, failed.len());
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("\n"))
        }
    }
}
