//! `loom subset`: a new loom file with some rows and columns of another: index ranges,
//! index files, attribute filters, or a seeded random sample. Every layer, attribute and
//! graph is sliced. Layers stream: the selected columns are read in chunk-aligned
//! windows ([`AxisWindows`], about [`DEFAULT_BUDGET`] values each, in each layer's
//! stored type) and appended to a new file with `add_columns` (loompy's `new()` +
//! `add_columns` recipe), so memory holds one window whatever the selection's size.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use loom_core::ops::FillValues;
use loom_core::{
    new, AttrValues, Axis, AxisWindows, Dtype, LayerInput, LoomConnection, LoomError, Mode,
    Selection, DEFAULT_BUDGET,
};

use crate::open::{labels, open};
use crate::output::{check_not_input, check_replaceable, finish_unit, temp_beside, About, Failure};
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
    #[arg(long, default_value_t = 0, requires = "sample")]
    pub seed: u64,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom subset`: exit 0 when written, 2 on an error (no output is left).
pub fn run(args: SubsetArgs) -> ExitCode {
    let progress = Progress::start(&format!("subsetting {}", args.input.display()), args.quiet);
    let result = subset(&args, &progress.observer());
    progress.finish();
    finish_unit(result)
}

fn subset(args: &SubsetArgs, observer: &loom_core::Progress) -> Result<(), Failure> {
    let input = args.input.as_path();
    check_replaceable(&args.output)?;
    check_not_input(&args.output, &[input])?;
    let ds = open(input, Mode::Read)?;
    let rows = select(&ds, input, Axis::Rows, args.rows.as_deref())?;
    let mut cols = select(&ds, input, Axis::Cols, args.cols.as_deref())?;
    if let Some(n) = args.sample {
        let order = crate::permute::shuffled(cols.len(), args.seed);
        let mut keep: Vec<i64> = order.into_iter().take(n).map(|k| cols[k]).collect();
        keep.sort_unstable();
        cols = keep;
    }
    if rows.is_empty() || cols.is_empty() {
        return Err(Failure::Error(format!(
            "the selection (--rows, --cols, --sample) holds {} rows and {} columns; a loom \
             file needs at least one of each",
            rows.len(),
            cols.len()
        )));
    }
    let tmp = temp_beside(&args.output);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let written = write_subset(&ds, &rows, &cols, &tmp, observer).map_err(|e| match e {
        Side::Input(e) => Failure::about(input.display(), e),
        Side::Output(e) => Failure::about(args.output.display(), e),
    });
    let result = written.and_then(|()| std::fs::rename(&tmp, &args.output).about(&args.output));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Which file an error of [`write_subset`] is about.
enum Side {
    /// Reading the input.
    Input(LoomError),
    /// Writing the output.
    Output(LoomError),
}

/// Writes rows `rows` and columns `cols` of `ds` to a new file at `path`, telling
/// `observer` the columns written after each window.
fn write_subset(
    ds: &LoomConnection,
    rows: &[i64],
    cols: &[i64],
    path: &Path,
    observer: &loom_core::Progress,
) -> Result<(), Side> {
    let read = read_subset(ds, rows, cols).map_err(Side::Input)?;
    let mut out = new(path).map_err(Side::Output)?;
    let cols64: Vec<u64> = read.ci.iter().map(|&c| c as u64).collect();
    let rows: Vec<i64> = read.ri.iter().map(|&i| i as i64).collect();
    let n_rows = read.ri.len() as u64;
    let ra: Vec<(&str, AttrValues)> = read
        .ra
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    for w in AxisWindows::over(&cols64, read.chunk, n_rows, DEFAULT_BUDGET) {
        let here = Selection::List(cols64[w.clone()].iter().map(|&c| c as i64).collect());
        let blocks = read
            .layers
            .iter()
            .map(|(k, dt)| read_typed(ds, k, dt, Selection::List(rows.clone()), here.clone()))
            .collect::<Result<Vec<_>, LoomError>>()
            .map_err(Side::Input)?;
        let inputs: Vec<(&str, LayerInput)> = read
            .layers
            .iter()
            .zip(&blocks)
            .map(|((k, _), b)| (k.as_str(), b.input()))
            .collect();
        let window_ca: Vec<(&str, AttrValues)> = read
            .ca
            .iter()
            .map(|(k, v)| Ok((k.as_str(), v.take(&read.ci[w.clone()])?)))
            .collect::<Result<_, LoomError>>()
            .map_err(Side::Input)?;
        let first = (w.start == 0).then_some(ra.as_slice());
        out.add_columns(&inputs, &window_ca, first, &FillValues::None)
            .map_err(Side::Output)?;
        observer.report(w.end as u64, cols64.len() as u64);
    }
    // One graph in memory at a time; the output is a temporary file, so the extra commits
    // need no transaction.
    for axis in [Axis::Rows, Axis::Cols] {
        let idx = if axis == Axis::Rows {
            &read.ri
        } else {
            &read.ci
        };
        let graphs = ds.graphs(axis);
        for k in graphs.keys() {
            let g = graphs.select(&k, idx).map_err(Side::Input)?;
            out.graphs_mut(axis).set(&k, &g).map_err(Side::Output)?;
        }
    }
    let globals = ds.attrs().items().map_err(Side::Input)?;
    out.transaction(|tx| {
        for (k, v) in globals {
            if k != "LOOM_SPEC_VERSION" && k != "CreationDate" {
                tx.attrs_mut().set(&k, v)?;
            }
        }
        Ok(())
    })
    .map_err(Side::Output)?;
    out.close().map_err(Side::Output)
}

/// What [`write_subset`] reads from the input before writing: the resolved indices, the
/// row attributes, graphs and global attributes of the selection, the column attributes
/// and the layers' names and types.
struct Subset {
    ri: Vec<usize>,
    ci: Vec<usize>,
    ra: Vec<(String, AttrValues)>,
    ca: Vec<(String, AttrValues)>,
    layers: Vec<(String, &'static str)>,
    chunk: u64,
}

/// Reads what [`write_subset`] needs before it writes (see [`Subset`]).
fn read_subset(ds: &LoomConnection, rows: &[i64], cols: &[i64]) -> Result<Subset, LoomError> {
    // numpy's indexing: negative indices count from the end; checked against the axis.
    let index = |v: &[i64], axis: Axis| -> Result<Vec<usize>, LoomError> {
        Ok(Selection::List(v.to_vec())
            .resolve(axis.of(ds.shape()))?
            .into_iter()
            .map(|i| i as usize)
            .collect())
    };
    let (ri, ci) = (index(rows, Axis::Rows)?, index(cols, Axis::Cols)?);
    let ra = ds
        .ra()
        .items()?
        .into_iter()
        .map(|(k, v)| Ok((k, v.take(&ri)?)))
        .collect::<Result<_, LoomError>>()?;
    let layers = ds
        .layers()
        .keys()?
        .into_iter()
        .map(|k| Ok((k.clone(), ds.layers().dtype(&k)?)))
        .collect::<Result<_, LoomError>>()?;
    Ok(Subset {
        ra,
        ca: ds.ca().items()?,
        layers,
        chunk: ds.layers().chunk_len("", Axis::Cols)?,
        ri,
        ci,
    })
}
/// A window of a layer in its stored type, handed to `add_columns`.
trait Block {
    fn input(&self) -> LayerInput<'_>;
}

impl<T: loom_core::Numeric> Block for loom_core::ndarray::Array2<T> {
    fn input(&self) -> LayerInput<'_> {
        LayerInput::from(self)
    }
}

/// Rows `rows` and columns `cols` of layer `name`, read as its stored type `dtype`.
fn read_typed(
    ds: &LoomConnection,
    name: &str,
    dtype: &str,
    rows: Selection,
    cols: Selection,
) -> Result<Box<dyn Block>, LoomError> {
    macro_rules! typed {
        ($($n:literal => $t:ty),*) => {
            match dtype {
                $($n => Box::new(ds.layers().read::<$t>(name, rows, cols)?) as Box<dyn Block>,)*
                other => {
                    return Err(LoomError::InvalidInput(format!(
                        "layer '{name}' has type {other}, which subset cannot copy"
                    )))
                }
            }
        };
    }
    Ok(typed!(
        "float32" => f32, "float64" => f64, "int8" => i8, "int16" => i16, "int32" => i32,
        "int64" => i64, "uint8" => u8, "uint16" => u16, "uint32" => u32, "uint64" => u64
    ))
}

/// The indices a SPEC selects on `axis` (all when `None`) of `ds`, read from `input`.
fn select(
    ds: &LoomConnection,
    input: &Path,
    axis: Axis,
    spec: Option<&str>,
) -> Result<Vec<i64>, Failure> {
    let len = axis.of(ds.shape()) as i64;
    let Some(spec) = spec.map(str::trim) else {
        return Ok((0..len).collect());
    };
    let option = if axis == Axis::Rows {
        "--rows"
    } else {
        "--cols"
    };
    let bad = |why: &str| Failure::Error(format!("{option} '{spec}': {why}"));
    if let Some(file) = spec.strip_prefix('@') {
        let indices = read_lines(Path::new(file))?
            .iter()
            .map(|l| {
                l.parse::<i64>()
                    .map_err(|_| bad(&format!("'{l}' is not an index")))
            })
            .collect::<Result<Vec<i64>, Failure>>()?;
        Selection::List(indices.clone())
            .resolve(len as u64)
            .map_err(|e| bad(&e.to_string()))?;
        return Ok(indices);
    }
    for (op, is_in) in [(" == ", false), (" in ", true)] {
        if let Some((attr, value)) = spec.split_once(op) {
            let wanted: Vec<String> = if is_in {
                read_lines(Path::new(value.trim()))?
            } else {
                vec![value.trim().trim_matches(['"', '\'']).to_owned()]
            };
            let what = format!("{option} '{spec}'");
            let attr = attr.trim();
            let texts = labels(ds, input, axis, &what, attr)?;
            let numeric = ds
                .axis_attrs(axis)
                .info(attr)
                .is_ok_and(|i| !matches!(i.dtype, Dtype::Str));
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
        let end = |s: &str| -> Result<Option<i64>, Failure> {
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
            .resolve(len as u64)
            .map_err(|e| bad(&e.to_string()))?
            .into_iter()
            .map(|i| i as i64)
            .collect());
    }
    Err(bad(
        "expected START:STOP, @FILE, 'ATTR == VALUE' or 'ATTR in FILE'",
    ))
}

fn read_lines(path: &Path) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path).about(path)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
