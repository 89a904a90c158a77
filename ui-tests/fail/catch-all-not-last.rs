#[waypost::get("/files/<path..>/meta")]
async fn meta(path: String) -> String {
    path
}

fn main() {}
