use waypost::middleware::RequestId;
use waypost::App;

fn main() {
    let _ = App::new().layer(RequestId::new());
}
