// Small fixed inputs shared by the fuzz targets: a plan with one task and three officers.
use dualdraw::{Officers, Plan};

pub fn plan() -> Plan {
    Plan::from_toml(
        r#"
        id = "fuzz"
        title = "fuzz"
        inspection_date = "2020-10-20"
        targets = "targets.csv"
        officers = "officers.csv"
        [[task]]
        id = "radio"
        domain = "无线电"
        item = { name = "n", basis = "b" }
        sample = { ratio = "50%" }
        shortfall = "take-all"
        team = { size = 2 }
        "#,
        "plan.toml".as_ref(),
    )
    .expect("the fuzz plan is valid")
}

pub fn officers() -> Officers {
    dualdraw::directory::read_officers(
        "id,name,department,region,cert_no,cert_expires,domains,status\n\
         A1,张三,处,120116,C1,2025-12-31,无线电,active\n\
         A2,李四,处,120101,C2,2025-12-31,无线电,active\n\
         A3,王五,处,120101,C3,2025-12-31,无线电,active\n"
            .as_bytes(),
        "officers.csv".as_ref(),
    )
    .expect("the fuzz officers are valid")
}
