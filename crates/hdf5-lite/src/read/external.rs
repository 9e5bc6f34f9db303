//! External links (spec IV.A.2.g, link type 64): an object path in another HDF5 file.
//!
//! The target file is looked for as libhdf5 does: an absolute name as it is; then the
//! name (the file name alone, for an absolute name not found) in the folder of the
//! linking file; then in each folder of `HDF5_EXT_PREFIX` (separated like `PATH`; a
//! leading `${ORIGIN}` stands for the linking file's folder). A missing file is an error
//! for that link only. A link to a group of a file already on the way (which may be a
//! cycle), or more than [`MAX_HOPS`] files deep, is refused, so walks through linked
//! files always end; a dataset of such a file is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::read::{File, Object};

/// The most files one chain of external links may pass through (libhdf5's default link
/// traversal limit is 16 links).
const MAX_HOPS: usize = 16;

/// A file's place in a chain of external links, and the files its links opened.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// The file's own path, when it was opened from one.
    path: Option<PathBuf>,
    /// Canonical paths of the files whose links led here, this one last.
    chain: Vec<PathBuf>,
    /// Files already opened through this file's external links, by canonical path.
    opened: Mutex<HashMap<PathBuf, File>>,
}

impl Links {
    /// A file opened from `path`, reached through the files of `chain`.
    pub(crate) fn opened_at(path: &Path, mut chain: Vec<PathBuf>) -> Self {
        chain.push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        Links {
            path: Some(path.to_path_buf()),
            chain,
            opened: Mutex::default(),
        }
    }

    /// Where to look for the target file `name`, in order.
    fn candidates(&self, name: &str) -> Vec<PathBuf> {
        let name = Path::new(name);
        let mut out = Vec::new();
        let relative = if name.is_absolute() {
            out.push(name.to_path_buf());
            match name.file_name() {
                Some(f) => Path::new(f),
                None => return out,
            }
        } else {
            name
        };
        let origin = self.path.as_deref().and_then(Path::parent);
        if let Some(dir) = origin {
            out.push(dir.join(relative));
        }
        if let Some(prefixes) = std::env::var_os("HDF5_EXT_PREFIX") {
            for prefix in std::env::split_paths(&prefixes) {
                let prefix = match (prefix.strip_prefix("${ORIGIN}"), origin) {
                    (Ok(rest), Some(dir)) => dir.join(rest),
                    (Ok(_), None) => continue,
                    (Err(_), _) => prefix,
                };
                out.push(prefix.join(relative));
            }
        }
        out
    }
}

impl File {
    /// The object at `target` in the file `file_name`, which the external link at `link`
    /// names.
    pub(crate) fn external(&self, file_name: &str, target: &str, link: &str) -> Result<Object> {
        let refuse = |reason: String| Error::ExternalLink {
            link: link.to_owned(),
            reason,
        };
        let links = &self.inner.links;
        let found = links
            .candidates(file_name)
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| refuse(format!("target file {file_name:?} not found")))?;
        let canonical = std::fs::canonicalize(&found)?;
        let on_the_way = links.chain.contains(&canonical);
        if links.chain.len() >= MAX_HOPS {
            return Err(refuse(format!("more than {MAX_HOPS} files deep")));
        }
        let file = {
            let mut opened = links
                .opened
                .lock()
                .map_err(|_| Error::unsupported("poisoned external file cache"))?;
            match opened.get(&canonical) {
                Some(f) => f.clone(),
                None => {
                    let f = crate::FileOptions::new()
                        .open(&found)?
                        .located(&found, links.chain.clone());
                    opened.insert(canonical, f.clone());
                    f
                }
            }
        };
        let object = file.object(target)?;
        if on_the_way && matches!(object, Object::Group(_)) {
            return Err(refuse(format!(
                "{target} in {} is a group in a file already followed (a cycle)",
                found.display()
            )));
        }
        // The object keeps the link's path, so paths below it read as in this file.
        match object {
            Object::Group(g) => file.object_at(g.address(), link.to_owned()),
            Object::Dataset(d) => file.object_at(d.address(), link.to_owned()),
            Object::Datatype(_) => Ok(Object::Datatype(link.to_owned())),
        }
    }
}
