//! loompy's `validate_conventions` (loompy-api.md §11): the Linnarsson lab's attribute
//! names and types, with loompy's messages and its quirks:
//!
//! - the ClusterID check `len(unique) == max and min == 0` is off by one, so a complete
//!   labelling 0..K fails and one with exactly one label missing passes;
//! - row `Valid` and `Selected` lengths are compared with the number of columns;
//! - loompy asks the first element of `ClusterName`, `CellID`, `Accession` and `Gene` for
//!   its `.dtype`; when that string contains `&` it went through `html.unescape` and is a
//!   plain Python `str`, so loompy raises `AttributeError`. This port stops there too
//!   (see [`super::LoomValidator::crash`]).

use hdf5_lite::read::{File, Object};

use super::dtype::{is_int64, is_string, numpy_name};
use super::{Crash, LoomValidator};
use crate::axis::Axis;
use crate::layout;

/// An attribute as loompy materializes it.
struct Attr {
    shape: Vec<u64>,
    /// numpy's name of the materialized array's dtype (strings are "object").
    dtype: String,
    int64: bool,
    /// Numbers, or `None` for strings.
    numbers: Option<Vec<f64>>,
    /// Every element as a comparable key.
    keys: Vec<String>,
}

fn load(file: &File, path: &str) -> Option<Attr> {
    let Ok(Object::Dataset(d)) = file.object(path) else {
        return None;
    };
    let dt = d.datatype();
    if is_string(dt) {
        // loompy decodes as ASCII, dropping anything else.
        let keys = d
            .read_strings()
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.chars().filter(char::is_ascii).collect())
            .collect();
        return Some(Attr {
            shape: d.shape().to_vec(),
            dtype: "object".into(),
            int64: false,
            numbers: None,
            keys,
        });
    }
    let numbers: Vec<f64> = d
        .read::<f64>()
        .map(|a| a.iter().copied().collect())
        .unwrap_or_default();
    Some(Attr {
        shape: d.shape().to_vec(),
        dtype: numpy_name(dt),
        int64: is_int64(dt),
        keys: numbers.iter().map(|v| format!("{v:?}")).collect(),
        numbers: Some(numbers),
    })
}

fn unique(keys: &[String]) -> usize {
    let mut k: Vec<&String> = keys.iter().collect();
    k.sort();
    k.dedup();
    k.len()
}

fn no_dtype() -> Crash {
    Crash("AttributeError: 'str' object has no attribute 'dtype'".into())
}

fn no_attr(name: &str) -> Crash {
    Crash(format!(
        "AttributeError: 'AttributeManager' object has no attribute '{name}'"
    ))
}

impl LoomValidator {
    /// `ds.X[0].dtype` for a loaded attribute. loompy's strings are numpy `str_` (dtype
    /// `<U{len}`), except those that `html.unescape` changed, which are Python `str`
    /// without a dtype: asking for it raises.
    fn first_dtype(a: &Attr) -> Result<String, Crash> {
        let Some(first) = a.keys.first() else {
            return Err(Crash(
                "IndexError: index 0 is out of bounds for axis 0 with size 0".into(),
            ));
        };
        if a.numbers.is_some() {
            return Ok(a.dtype.clone());
        }
        if a.shape.len() > 1 {
            return Ok("object".into());
        }
        if first.contains('&') {
            return Err(no_dtype());
        }
        Ok(format!("<U{}", first.chars().count()))
    }

    /// loompy's `X.dtype == object and np.issubdtype(X[0].dtype, np.str_)`.
    fn is_strings(a: &Attr) -> Result<bool, Crash> {
        if a.numbers.is_some() {
            return Ok(false);
        }
        Ok(Self::first_dtype(a)?.starts_with("<U"))
    }

    fn check_strings(&mut self, a: &Attr, what: &str, n: u64, unique_n: bool) -> super::Step {
        // The message's f-string evaluates `X[0].dtype` whatever the outcome.
        let ok = Self::is_strings(a)?;
        let first = Self::first_dtype(a)?;
        self.check(ok, || {
            format!("{what} must be an array of strings, not '{first}'")
        });
        self.check(a.shape == [n], || {
            format!("{what} must be 1-dimensional array of {n} elements")
        });
        if unique_n {
            self.check(unique(&a.keys) as u64 == n, || {
                format!("{what} cannot contain duplicate values")
            });
        }
        Ok(())
    }

    fn check_flag(&mut self, a: &Attr, what: &str, n: u64) {
        self.check(a.int64, || {
            format!("{what} must be integer dtype, not '{}'", a.dtype)
        });
        let ok = match &a.numbers {
            Some(v) => v.iter().all(|&x| x == 0.0 || x == 1.0),
            None => a.keys.is_empty(),
        };
        self.check(ok, || format!("{what} must be integers 0 or 1 only"));
        self.check(a.shape == [n], || {
            format!("{what} must be 1-dimensional array of {n} elements")
        });
    }

    /// The conventions checks. `Ok` tells whether no error has been found so far.
    pub(super) fn conventions_checks(&mut self, file: &File) -> Result<bool, Crash> {
        let (n_genes, n_cells) = layout::matrix_shape(file);
        let globals: Vec<String> = match file.group(layout::GLOBALS) {
            Ok(g) => g.member_names().unwrap_or_default(),
            Err(_) => file
                .root()
                .and_then(|r| r.attributes())
                .map(|a| a.iter().map(|a| a.name().to_owned()).collect())
                .unwrap_or_default(),
        };
        for name in [
            "Description",
            "Journal",
            "Authors",
            "Title",
            "Year",
            layout::CREATION_DATE_KEY,
        ] {
            if !globals.iter().any(|g| g == name) {
                self.warnings
                    .push(format!("Optional global attribute '{name}' is missing"));
            }
        }
        let ca = |n: &str| load(file, &layout::attr_path(Axis::Cols, n));
        let ra = |n: &str| load(file, &layout::attr_path(Axis::Rows, n));

        let cluster_id = ca("ClusterID");
        if self.check(cluster_id.is_some(), || {
            "Column attribute 'ClusterID' is missing".into()
        }) {
            if let Some(id) = &cluster_id {
                self.check(id.int64, || {
                    "Column attribute 'ClusterID' must be integer dtype".into()
                });
                if id.keys.is_empty() {
                    return Err(Crash(
                        "ValueError: zero-size array to reduction operation maximum which has no identity".into(),
                    ));
                }
                let ok = match &id.numbers {
                    Some(v) => {
                        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                        unique(&id.keys) as f64 == max && min == 0.0
                    }
                    None => false,
                };
                self.check(ok, || {
                    "Column attribute 'ClusterID' must be integers 0, 1, 2, ... with no missing values".into()
                });
                self.check(id.shape == [n_cells], || {
                    format!("Column attribute 'ClusterID' must be 1-dimensional array of {n_cells} elements")
                });
            }
        }

        if let Some(name) = ca("ClusterName") {
            let what = "Column attribute 'ClusterName'";
            let ok = Self::is_strings(&name)?;
            self.check(ok, || format!("{what} must be an array of strings"));
            self.check(name.shape == [n_cells], || {
                format!("{what} must be 1-dimensional array of {n_cells} elements")
            });
            let id = cluster_id.as_ref().ok_or_else(|| no_attr("ClusterID"))?;
            if !one_to_one(&id.keys, &name.keys) {
                self.check(false, || {
                    "ClusterName must correspond 1:1 with ClusterID".into()
                });
            }
        } else {
            self.warnings
                .push("Optional column attribute 'ClusterName' is missing".into());
        }

        let cell_id = ca("CellID");
        if self.check(cell_id.is_some(), || {
            "Column attribute 'CellID' is missing".into()
        }) {
            if let Some(a) = &cell_id {
                self.check_strings(a, "Column attribute 'CellID'", n_cells, true)?;
            }
        }
        for (name, what) in [("Valid", "column"), ("Outliers", "column")] {
            match ca(name) {
                Some(a) => self.check_flag(&a, &format!("Column attribute '{name}'"), n_cells),
                None => self
                    .warnings
                    .push(format!("Optional {what} attribute '{name}' is missing")),
            }
        }

        let acc = ra("Accession");
        if self.check(acc.is_some(), || {
            "Row attribute 'Accession' is missing".into()
        }) {
            if let Some(a) = &acc {
                self.check_strings(a, "Row attribute 'Accession'", n_genes, true)?;
            }
        }
        let gene = ra("Gene");
        if self.check(gene.is_some(), || "Row attribute 'Gene' is missing".into()) {
            if let Some(a) = &gene {
                self.check_strings(a, "Row attribute 'Gene'", n_genes, false)?;
            }
        }
        for name in ["Valid", "Selected"] {
            match ra(name) {
                // loompy compares the row flags' length with the number of columns.
                Some(a) => self.check_flag(&a, &format!("Row attribute '{name}'"), n_cells),
                None => self
                    .warnings
                    .push(format!("Optional row attribute '{name}' is missing")),
            }
        }
        Ok(self.errors.is_empty())
    }
}

/// Each ClusterID has one ClusterName and each ClusterName one ClusterID (elementwise,
/// over the common length).
fn one_to_one(ids: &[String], names: &[String]) -> bool {
    use std::collections::BTreeMap;
    let mut by_id: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    let mut by_name: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for (i, n) in ids.iter().zip(names) {
        by_id.entry(i).or_default().insert(n);
        by_name.entry(n).or_default().insert(i);
    }
    by_id.values().all(|s| s.len() == 1) && by_name.values().all(|s| s.len() == 1)
}
