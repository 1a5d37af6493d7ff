//! This example writes a generated instance as contract JSON.
//!
//! ```text
//! cargo run --release --example generate -- --scale district --seed 1 > d.json
//! cargo run --release --example generate -- --scale street --seed 1 --budgets > s.json
//! ```
//!
//! Key points:
//! - Scales: `tiny`, `street` (~2,500 needs), `district` (~100,000 needs, 60,000 resources),
//!   and the hard family `hard-tiny`, `hard-street`, `hard-district` (capacity about half of
//!   demand, organisations serving the whole district or city, windows, skills and cost
//!   ceilings on a third of the needs; ~100,000 needs and ~3.3 M eligible pairs at district
//!   scale).
//! - `--budgets` adds budgets and proposals (`duijie::generate::Funding`): one budget per
//!   community and 50 proposals on a street, one per street and 1,000 on a district.
//! - The same scale and seed give the same bytes on every machine.

use duijie::generate::{generate, generate_funded, Funding, Shape};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: generate [--scale tiny|street|district|hard-tiny|hard-street|hard-district] [--seed N] [--budgets]";

fn main() -> ExitCode {
    let (mut shape, mut seed) = (Shape::street(), 1u64);
    let (mut scale, mut funded) = ("street".to_owned(), false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--budgets" {
            funded = true;
            continue;
        }
        let value = args.next();
        match (a.as_str(), value.as_deref()) {
            ("--scale", Some(s)) => match Shape::named(s) {
                Some(sh) => {
                    shape = sh;
                    scale = s.to_owned();
                }
                None => return usage(&format!("unknown scale {s:?}")),
            },
            ("--seed", Some(s)) => match s.parse() {
                Ok(n) => seed = n,
                Err(_) => return usage(&format!("bad seed {s:?}")),
            },
            _ => return usage(&format!("unexpected argument {a:?}")),
        }
    }
    let data = if funded {
        match Funding::named(&scale) {
            Some(f) => generate_funded(&shape, &f, seed),
            None => return usage(&format!("no funding for scale {scale:?}")),
        }
    } else {
        generate(&shape, seed)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer(&mut out, &data)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("{msg}\n{USAGE}");
    ExitCode::from(2)
}
