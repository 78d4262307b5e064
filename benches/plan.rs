//! Plan validation is linear in the number of tasks (issue 10, item 8): `Plan::parse` of a plan
//! with 10^4 small tasks, against the TOML parse alone of the same text (the baseline, measured
//! in the same run).

use criterion::{Criterion, criterion_group, criterion_main};

fn plan_text(tasks: usize) -> String {
    let mut s = String::from(
        "id = \"MANY\"\ntitle = \"many\"\ninspection_date = \"2020-10-20\"\n\
         targets = \"t.csv\"\nofficers = \"o.csv\"\n",
    );
    for i in 0..tasks {
        s.push_str(&format!(
            "[[task]]\nid = \"t{i}\"\ndomain = \"无线电\"\nitem = {{ name = \"n\", basis = \"b\" }}\n\
             sample = {{ count = 1 }}\nteam = {{ size = 2 }}\n"
        ));
    }
    s
}

fn benches(c: &mut Criterion) {
    let text = plan_text(10_000);
    let mut g = c.benchmark_group("plan_10k_tasks");
    g.sample_size(10);
    g.bench_function("toml_value_baseline", |b| {
        b.iter(|| std::hint::black_box(text.parse::<toml::Table>().expect("toml")))
    });
    g.bench_function("plan_parse", |b| {
        b.iter(|| {
            std::hint::black_box(
                dualdraw::Plan::parse(text.as_bytes(), "plan.toml".as_ref()).expect("plan"),
            )
        })
    });
    g.finish();
}

criterion_group!(plan, benches);
criterion_main!(plan);
