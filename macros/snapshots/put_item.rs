async fn put_item(
    rest: String,
    headers: HeaderMap,
    Json(item): Json<Item>,
) -> StatusCode {
    StatusCode::NO_CONTENT
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct put_item {}
impl put_item {
    #[doc(hidden)]
    pub const ROUTE: ::waypost::__private::Route = {
        ::waypost::__private::assert_single_body(
            &[<HeaderMap as ::waypost::__private::FromRequest>::CONSUMES_BODY],
            <Json<Item> as ::waypost::__private::FromRequest>::CONSUMES_BODY,
        );
        ::waypost::__private::Route::new(::waypost::__private::RouteDef {
            methods: ::waypost::__private::MethodSet::PUT
                .union(::waypost::__private::MethodSet::POST),
            path: "/items/<rest..>",
            shape: "/items/<..>",
            router_path: "/items/{*p0}",
            handler_name: "put_item",
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
            conflict_message: "route conflict: `PUT, POST /items/<rest..>` (handler `put_item`) matches the same requests as an earlier handler in this `routes![]` list; paths that differ only in parameter names collide: change the path or the method, or remove one of them",
            handler: |
                request: ::waypost::__private::Request,
                params: &::waypost::__private::Params<'_, '_>,
                app: &::waypost::__private::Arc<::waypost::__private::AppShared>,
            | -> ::waypost::__private::HandlerFuture {
                let arg_0 = match ::waypost::__private::path_param::<
                    String,
                >(params, 0usize, "rest", "String") {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(response) => {
                        return ::waypost::__private::ready(response);
                    }
                };
                let mut parts = ::waypost::__private::request_parts(request, app);
                ::waypost::__private::Box::pin(async move {
                    let arg_1 = match ::waypost::__private::extract::<
                        HeaderMap,
                    >(&mut parts)
                        .await
                    {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                    let arg_2 = match ::waypost::__private::extract::<
                        Json<Item>,
                    >(&mut parts)
                        .await
                    {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                    let output = put_item(arg_0, arg_1, arg_2).await;
                    ::waypost::__private::into_response::<StatusCode>(output)
                })
            },
            required_state: |needs: &mut ::waypost::__private::StateNeeds| {
                <HeaderMap as ::waypost::__private::FromRequest>::required_state(needs);
                <Json<Item> as ::waypost::__private::FromRequest>::required_state(needs);
            },
        })
    };
}
const _: ::waypost::__private::Route = put_item::ROUTE;
