use dualdraw::directory::{read_officers, read_targets};
use dualdraw::plan::{Plan, Ratio};

#[test]
fn explore() {
    let base = "id = \"P\"\ntitle = \"t\\u0001\\u007f\\u2028/\"\ninspection_date = \"2020-10-20\"\ntargets = \"a\"\nofficers = \"b\"\n[[task]]\nid = \"x\"\ndomain = \"d\"\nitem = { name = \"n\", basis = \"b\" }\nsample = { count = 1 }\nteam = { size = 2 }\n";
    println!("{:?}", Plan::from_toml(base, "p".as_ref()).map(|p| p.title));
    let v = serde_json::json!({"t": "a\u{1}\u{7f}\u{2028}/\u{8}\u{c}\t\n\r\"\\é"});
    println!("{}", dualdraw::log::canonical(&v));
    let d = base.replace(
        "inspection_date = \"2020-10-20\"",
        "inspection_date = 2020-10-20",
    );
    println!(
        "{:?}",
        Plan::from_toml(&d, "p".as_ref()).map(|p| p.inspection_date)
    );
    for r in [
        "0.07",
        "5.0%",
        "12.50%",
        "100%",
        "1",
        "0.001%",
        " 7 % ",
        "07%",
        ".5",
        "5.",
        "1.0000000000000000000000000001",
        "0.0000000000000000000000000001%",
    ] {
        println!(
            "{r:?} -> {:?}",
            r.parse::<Ratio>().map(|x| (x.to_string(), x.of(1000)))
        );
    }
    let csv = "\u{feff} ID ,\"name\",Region,DOMAINS,credit_class,status,extra\n\n9144030071526726XG,\u{3000}甲\u{3000},440300,\" 无线电 ; 电力、电力 \",a级,ACTIVE,zz\n\n\r\n91120116MA05JKLM8C,乙,120116,无线电,,正常,\n";
    let t = read_targets(csv.as_bytes(), "t".as_ref());
    println!("{:?}", t);
    let csv2 = "id,name,region,domains,credit_class,status\n9144030071526726XG,甲,440300,无线电,级,active\n";
    println!(
        "{:?}",
        read_targets(csv2.as_bytes(), "t".as_ref()).map(|t| t.records[0].credit_class)
    );
    let csv3 = "id,name,region,domains,credit_class,status,last_inspected\n9144030071526726XG,甲,440300,无线电,,active,0000-01-01\n";
    println!(
        "{:?}",
        read_targets(csv3.as_bytes(), "t".as_ref())
            .map(|t| hex::encode(t.records[0].canonical_bytes()))
    );
    let o = "id,name,department,region,cert_no,cert_expires,domains,status\nA1,张三,处,片区一,C1,2025-12-31,无线电,active\n";
    println!(
        "{:?}",
        read_officers(o.as_bytes(), "o".as_ref()).map(|o| o.records)
    );
    let bc = base.replace(
        "sample = { count = 1 }",
        "sample = { by_class = { A = \"5%\", \"a级\" = \"10%\", NONE = \"1%\" } }",
    );
    println!(
        "{:?}",
        Plan::from_toml(&bc, "p".as_ref()).map(|p| format!("{:?}", p.tasks[0].sample))
    );
}
