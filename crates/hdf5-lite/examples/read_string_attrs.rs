//! Reads every string dataset of one group (a loom file's `/col_attrs` by default) with
//! `Dataset::read_strings` and prints each one's count of strings and a checksum of
//! their bytes, for instruction counts under callgrind:
//! `cargo run --profile profiling -p hdf5-lite --example read_string_attrs FILE [GROUP]`

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{File, Object};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: read_string_attrs FILE [GROUP]")?;
    let group = args.next().unwrap_or_else(|| "/col_attrs".to_owned());
    let file = File::open(path)?;
    let mut total = 0usize;
    for (name, object) in file.group(&group)?.members()? {
        let Object::Dataset(d) = object? else {
            continue;
        };
        if !matches!(
            d.datatype(),
            Datatype::FixedString { .. } | Datatype::VarLenString { .. }
        ) {
            continue;
        }
        let strings = d.read_strings()?;
        let sum = strings.iter().fold(0u64, |acc, s| {
            s.bytes()
                .fold(acc.rotate_left(7), |a, b| a.rotate_left(5) ^ u64::from(b))
        });
        println!("{name}: {} strings, checksum {sum:016x}", strings.len());
        total += strings.len();
    }
    println!("total {total} strings");
    Ok(())
}
