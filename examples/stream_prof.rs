//! Rough phase timings of the streaming draw (development aid; the figures that count are the
//! criterion benches).
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut data = Vec::new();
    dualdraw::synth::targets(&mut data, n, 1).unwrap();
    let plan = dualdraw::plan::Plan::from_toml(
        include_str!("../fixtures/tianjin-2020/plan.toml"),
        "p".as_ref(),
    )
    .unwrap();
    if std::env::var("PARSE_ONLY").is_ok() {
        for _ in 0..5 {
            let mut rows =
                dualdraw::directory::TargetRows::new(data.as_slice(), "t".as_ref()).unwrap();
            let mut w = Vec::new();
            let mut k = 0;
            while let Some((_, e)) = rows.next_record(&mut w).unwrap() {
                k += e.domains.len();
            }
            std::hint::black_box(k);
        }
        return;
    }
    for _ in 0..2 {
        let t = std::time::Instant::now();
        let mut rdr = csv::Reader::from_reader(data.as_slice());
        let mut rec = csv::ByteRecord::new();
        let mut k = 0;
        while rdr.read_byte_record(&mut rec).unwrap() {
            k += rec.len();
        }
        eprintln!("csv parse      {:?} {k}", t.elapsed());
        let t = std::time::Instant::now();
        let mut rows = dualdraw::directory::TargetRows::new(data.as_slice(), "t".as_ref()).unwrap();
        let mut w = Vec::new();
        let mut recs = Vec::new();
        while let Some((_, e)) = rows.next_record(&mut w).unwrap() {
            recs.push(e);
        }
        eprintln!("parse+validate {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let mut tb = dualdraw::merkle::TreeBuilder::new();
        for e in &recs {
            tb.push(&e.canonical_bytes());
        }
        eprintln!("merkle         {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let h = dualdraw::target::TicketHasher::new(&[1; 32]);
        let mut x = 0u8;
        for e in &recs {
            x ^= h.ticket(&e.id)[0];
        }
        eprintln!("1 ticket/row   {:?} {x}", t.elapsed());
        let t = std::time::Instant::now();
        let r =
            dualdraw::stream::select_stream(data.as_slice(), "t".as_ref(), &plan, "s", &mut |_| {})
                .unwrap();
        eprintln!("select_stream  {:?} {}", t.elapsed(), r.digest.count);
    }
}
