use waypost::{middleware, Next, Request};

struct Verdict;

#[middleware]
async fn judge(req: Request, next: Next) -> Verdict {
    let _ = next.run(req).await;
    Verdict
}

fn main() {}
