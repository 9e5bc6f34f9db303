//! Writes a small file laid out as loompy lays out a `.loom` file, using only
//! hdf5-lite's writer: `cargo run -p hdf5-lite --example write_loom_shaped OUT.loom`.
//! It opens in h5py, passes `loompy.connect` (which validates) and dumps with h5dump.

use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec, Writer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: write_loom_shaped OUT.loom")?;
    let (rows, cols) = (100u64, 70u64);
    let mut w = Writer::create(&path)?;
    let stamp = AttrValue::string("20261121T000000.000000Z");
    for group in [
        "/attrs",
        "/layers",
        "/row_attrs",
        "/col_attrs",
        "/row_graphs",
        "/col_graphs",
    ] {
        w.create_group(group)?;
        w.set_attribute(group, "last_modified", &stamp)?;
    }
    w.set_attribute("/", "last_modified", &stamp)?;

    let matrix = DatasetSpec::new(f32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    w.create_dataset("/matrix", &matrix)?;
    let values: Vec<f32> = (0..rows * cols).map(|i| (i % 13) as f32 * 0.5).collect();
    w.write_numbers("/matrix", &[0, 0], &[rows, cols], &values)?;
    w.set_attribute("/matrix", "last_modified", &stamp)?;

    let counts = DatasetSpec::new(i32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    w.create_dataset("/layers/counts", &counts)?;
    let ints: Vec<i32> = (0..rows * cols).map(|i| (i % 7) as i32).collect();
    w.write_numbers("/layers/counts", &[0, 0], &[rows, cols], &ints)?;

    let names = |prefix: &str, n: u64| -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}é")).collect()
    };
    let genes = names("Gene", rows);
    let genes: Vec<&str> = genes.iter().map(String::as_str).collect();
    w.create_dataset(
        "/row_attrs/Gene",
        &DatasetSpec::new(vlen_utf8(), &[rows])
            .maxshape(&[None])
            .chunks(&[rows])
            .deflate(2),
    )?;
    w.write_strings("/row_attrs/Gene", &[0], &[rows], &genes)?;
    let cells = names("Cell", cols);
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    w.create_dataset(
        "/col_attrs/CellID",
        &DatasetSpec::new(vlen_utf8(), &[cols])
            .maxshape(&[None])
            .chunks(&[cols])
            .deflate(2),
    )?;
    w.write_strings("/col_attrs/CellID", &[0], &[cols], &cells)?;
    w.create_dataset(
        "/col_attrs/Total",
        &DatasetSpec::new(f64::datatype(), &[cols])
            .maxshape(&[None])
            .chunks(&[cols])
            .deflate(2),
    )?;
    let totals: Vec<f64> = (0..cols).map(|c| c as f64 * 1.25).collect();
    w.write_numbers("/col_attrs/Total", &[0], &[cols], &totals)?;

    w.create_dataset(
        "/attrs/LOOM_SPEC_VERSION",
        &DatasetSpec::new(vlen_utf8(), &[]),
    )?;
    w.write_strings("/attrs/LOOM_SPEC_VERSION", &[], &[], &["3.0.0"])?;
    w.create_dataset("/attrs/CreationDate", &DatasetSpec::new(vlen_utf8(), &[]))?;
    w.write_strings(
        "/attrs/CreationDate",
        &[],
        &[],
        &["20261121T000000.000000Z"],
    )?;

    w.create_group("/row_graphs/KNN")?;
    let edges = 50u64;
    let a: Vec<i32> = (0..edges as i32).map(|i| i % rows as i32).collect();
    let b: Vec<i32> = (0..edges as i32).map(|i| (i * 7) % rows as i32).collect();
    let wt: Vec<f64> = (0..edges).map(|i| 1.0 / (i + 1) as f64).collect();
    for (name, spec) in [
        ("a", i32::datatype()),
        ("b", i32::datatype()),
        ("w", f64::datatype()),
    ] {
        w.create_dataset(
            &format!("/row_graphs/KNN/{name}"),
            &DatasetSpec::new(spec, &[edges]),
        )?;
    }
    w.write_numbers("/row_graphs/KNN/a", &[0], &[edges], &a)?;
    w.write_numbers("/row_graphs/KNN/b", &[0], &[edges], &b)?;
    w.write_numbers("/row_graphs/KNN/w", &[0], &[edges], &wt)?;
    w.close()?;
    Ok(())
}
