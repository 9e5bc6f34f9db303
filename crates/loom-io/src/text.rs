//! Line-oriented text inputs, plain or gzipped (by a `.gz` name, as loompy decides).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{IoError, Result};

/// A text file read line by line, with its path and line number for errors.
pub(crate) struct Lines {
    path: PathBuf,
    reader: Box<dyn BufRead>,
    line: u64,
    buf: String,
}

impl Lines {
    /// Opens `path`, decompressing when its name ends in `.gz`.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| IoError::file(path, e))?;
        let gz = path.extension().is_some_and(|e| e == "gz");
        let reader: Box<dyn BufRead> = if gz {
            Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(f)))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, f))
        };
        Ok(Lines {
            path: path.to_owned(),
            reader,
            line: 0,
            buf: String::new(),
        })
    }

    /// Moves to the next line; false at the end of the file.
    pub(crate) fn advance(&mut self) -> Result<bool> {
        self.buf.clear();
        let n = self
            .reader
            .read_line(&mut self.buf)
            .map_err(|e| IoError::file(&self.path, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        let kept = self.buf.trim_end_matches(['\n', '\r']).len();
        self.buf.truncate(kept);
        Ok(true)
    }

    /// The current line, without its line ending.
    pub(crate) fn current(&self) -> &str {
        &self.buf
    }

    /// The next line (owned), or None at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<String>> {
        Ok(self.advance()?.then(|| self.buf.clone()))
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A format error at the current line.
    pub(crate) fn error(&self, reason: impl Into<String>) -> IoError {
        IoError::format(&self.path, self.line, reason)
    }
}

/// All lines of a small text file (barcodes, features), plain or gzipped.
pub(crate) fn read_lines(path: &Path) -> Result<Vec<String>> {
    let mut lines = Lines::open(path)?;
    let mut out = Vec::new();
    while let Some(l) = lines.next_line()? {
        out.push(l);
    }
    Ok(out)
}

/// The first of `names` that exists in `dir`.
pub(crate) fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}
