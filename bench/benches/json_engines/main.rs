//! Which JSON engine should faucet use? Each engine, on three page bodies
//! of 1,000 records (the fixture API's page, the same pretty-printed, a
//! unicode-heavy one), splitting the page into records and visiting every
//! field of every record.
//!
//! ```text
//! cargo bench -p faucet-bench --bench json_engines                     # serde_json only
//! cargo bench -p faucet-bench --bench json_engines --features engines  # + sonic-rs, simd-json
//! RUSTFLAGS="-C target-cpu=native" cargo bench …                       # sonic-rs's AVX2 path
//! ```
//! Throughput is in records (criterion's "elem/s"). Before measuring, the
//! bench prints which engines keep a record's numbers exactly.
//!
//! Portability: sonic-rs chooses its SIMD code when it is compiled (SSE2
//! on the x86-64 baseline, AVX2 only in a build for a CPU that has it, and
//! no detection at run time), so a portable build runs its SSE2 path;
//! simd-json (feature `runtime-detection`, kept on) picks AVX2, SSE4.2 or
//! scalar code at run time. Neither needs AVX2 in a portable build.

mod engines;
mod fidelity;
mod pages;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faucet_core::bytes::Bytes;

fn engines(c: &mut Criterion) {
    fidelity::report();
    for page in pages::pages() {
        let mut group = c.benchmark_group(format!("split/{}", page.name));
        group.throughput(Throughput::Elements(pages::RECORDS));
        let body = Bytes::from(page.body.clone());
        let text = page.body.as_slice();
        group.bench_function("serde_json Value", |b| {
            b.iter(|| engines::serde_value_split(text))
        });
        group.bench_function("serde_json RawValue (faucet today)", |b| {
            b.iter(|| engines::faucet_raw_split(&body))
        });
        #[cfg(feature = "engines")]
        {
            group.bench_function("sonic-rs LazyValue (validated)", |b| {
                b.iter(|| engines::sonic::split_validated(text))
            });
            group.bench_function("sonic-rs get + array iter", |b| {
                b.iter(|| engines::sonic::split_lazy(text))
            });
            let mut buffers = simd_json::Buffers::new(text.len());
            group.bench_function("simd-json borrowed", |b| {
                b.iter(|| engines::simd::borrowed_split(text, &mut buffers))
            });
            group.bench_function("simd-json tape", |b| {
                b.iter(|| engines::simd::tape_split(text, &mut buffers))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("fields/{}", page.name));
        group.throughput(Throughput::Elements(pages::RECORDS));
        group.bench_function("serde_json Value", |b| {
            b.iter(|| engines::serde_value_fields(text))
        });
        group.bench_function("faucet Record::fields (faucet today)", |b| {
            b.iter(|| engines::faucet_raw_fields(&body))
        });
        #[cfg(feature = "engines")]
        {
            group.bench_function("sonic-rs object iter", |b| {
                b.iter(|| engines::sonic::fields(text))
            });
            let mut buffers = simd_json::Buffers::new(text.len());
            group.bench_function("simd-json borrowed", |b| {
                b.iter(|| engines::simd::borrowed_fields(text, &mut buffers))
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(20)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = engines
}
criterion_main!(benches);
