// An attribute mistake does not hide the signature's: both are reported.
#[waypost::get(/items)]
fn items() -> &'static str {
    "items"
}

fn main() {}
