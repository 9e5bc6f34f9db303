//! `loom subset`: a new loom file with some rows and columns of another: index ranges,
//! index files, attribute filters, or a seeded random sample. Every layer, attribute and
//! graph is sliced (through loom-core's `view`, so the selection is held in memory).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use loom_core::{connect, new, Axis, LayerOptions, LoomConnection, LoomError, Mode, Selection};

use crate::output::{finish_op, temp_beside};
use crate::progress::Progress;

/// `loom subset IN -o OUT [--rows SPEC] [--cols SPEC] [--sample N --seed S]`
#[derive(Debug, Args)]
#[command(after_help = "SPEC is one of:
  START:STOP          an index range (either end may be left out)
  @FILE               indices, one per line
  'ATTR == VALUE'     rows/columns whose attribute equals VALUE
  'ATTR in FILE'      rows/columns whose attribute is one of FILE's lines

Examples:
  loom subset cells.loom -o c3.loom --cols 'ClusterID == 3'
  loom subset cells.loom -o markers.loom --rows 'Gene in genes.txt'
  loom subset cells.loom -o sample.loom --sample 1000 --seed 7")]
pub struct SubsetArgs {
    /// The loom file.
    pub input: PathBuf,
    /// The output loom file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Rows to keep (default: all).
    #[arg(long)]
    pub rows: Option<String>,
    /// Columns to keep (default: all).
    #[arg(long)]
    pub cols: Option<String>,
    /// Keep a random sample of this many of the selected columns.
    #[arg(long)]
    pub sample: Option<usize>,
    /// Seed of the sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom subset`: exit 0 when written, 2 on an error (no output is left).
pub fn run(args: SubsetArgs) -> ExitCode {
    let progress = Progress::start(&format!("subsetting {}", args.input.display()), args.quiet);
    let result = subset(&args);
    progress.finish();
    finish_op(result, &args.input)
}

fn subset(args: &SubsetArgs) -> Result<(), LoomError> {
    let ds = connect(&args.input, Mode::Read)?;
    let rows = select(&ds, Axis::Rows, args.rows.as_deref())?;
    let mut cols = select(&ds, Axis::Cols, args.cols.as_deref())?;
    if let Some(n) = args.sample {
        let order = crate::permute::shuffled(cols.len(), args.seed);
        let mut keep: Vec<i64> = order.into_iter().take(n).map(|k| cols[k]).collect();
        keep.sort_unstable();
        cols = keep;
    }
    let view = ds.view(Selection::List(rows), Selection::List(cols))?;
    let tmp = temp_beside(&args.output);
    let written = (|| {
        let mut out = new(&tmp)?;
        out.transaction(|tx| {
            for (name, l) in view.layers() {
                let opts = LayerOptions {
                    dtype: Some(l.dtype.clone()),
                    ..LayerOptions::default()
                };
                tx.layers_mut().set_with(name, &l.values, &opts)?;
            }
            for (k, v) in view.ra() {
                tx.ra_mut().set(k, v.clone())?;
            }
            for (k, v) in view.ca() {
                tx.ca_mut().set(k, v.clone())?;
            }
            for (k, g) in view.row_graphs() {
                tx.row_graphs_mut().set(k, g)?;
            }
            for (k, g) in view.col_graphs() {
                tx.col_graphs_mut().set(k, g)?;
            }
            for (k, v) in view.attrs() {
                if k != "LOOM_SPEC_VERSION" && k != "CreationDate" {
                    tx.attrs_mut().set(k, v.clone())?;
                }
            }
            Ok(())
        })?;
        out.close()
    })();
    match written {
        Ok(()) => Ok(std::fs::rename(&tmp, &args.output)?),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The indices a SPEC selects on `axis` (all when `None`).
fn select(ds: &LoomConnection, axis: Axis, spec: Option<&str>) -> Result<Vec<i64>, LoomError> {
    let len = axis.of(ds.shape()) as i64;
    let Some(spec) = spec.map(str::trim) else {
        return Ok((0..len).collect());
    };
    let bad = |why: &str| LoomError::InvalidInput(format!("'{spec}': {why}"));
    if let Some(file) = spec.strip_prefix('@') {
        return read_lines(Path::new(file))?
            .iter()
            .map(|l| {
                l.parse::<i64>()
                    .map_err(|_| bad(&format!("'{l}' is not an index")))
            })
            .collect();
    }
    for (op, is_in) in [(" == ", false), (" in ", true)] {
        if let Some((attr, value)) = spec.split_once(op) {
            let wanted: Vec<String> = if is_in {
                read_lines(Path::new(value.trim()))?
            } else {
                vec![value.trim().trim_matches(['"', '\'']).to_owned()]
            };
            let values = ds.axis_attrs(axis).get(attr.trim())?;
            let texts: Vec<String> = match values.as_strings() {
                Some(s) => s.iter().cloned().collect(),
                None => values
                    .to_f64()
                    .ok_or_else(|| bad("the attribute is neither numbers nor strings"))?
                    .iter()
                    .map(|x| x.to_string())
                    .collect(),
            };
            let numeric = values.as_strings().is_none();
            let matches = |t: &String| {
                wanted.iter().any(|w| {
                    w == t
                        || (numeric
                            && w.parse::<f64>().ok() == t.parse::<f64>().ok()
                            && w.parse::<f64>().is_ok())
                })
            };
            return Ok((0..len).filter(|&i| matches(&texts[i as usize])).collect());
        }
    }
    if let Some((a, b)) = spec.split_once(':') {
        let end = |s: &str| -> Result<Option<i64>, LoomError> {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                s.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| bad("not an index range"))
            }
        };
        let sel = Selection::range(end(a)?, end(b)?, 1);
        return Ok(sel
            .resolve(len as u64)?
            .into_iter()
            .map(|i| i as i64)
            .collect());
    }
    Err(bad(
        "expected START:STOP, @FILE, 'ATTR == VALUE' or 'ATTR in FILE'",
    ))
}

fn read_lines(path: &Path) -> Result<Vec<String>, LoomError> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
