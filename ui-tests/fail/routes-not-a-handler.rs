async fn plain() {}

fn main() {
    let _ = waypost::routes![plain];
}
