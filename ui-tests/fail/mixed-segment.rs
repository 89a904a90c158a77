#[waypost::get("/files/report-<id>.pdf")]
async fn report(id: u64) -> String {
    id.to_string()
}

fn main() {}
