#[allow(clippy::must_use_candidate)]
fn put_item(
    rest: String,
    headers: HeaderMap,
    arg2: Json<Item>,
) -> impl ::waypost::__private::RouteFuture<Output = StatusCode> {
    #[allow(clippy::too_many_arguments)]
    async fn put_item(
        rest: String,
        headers: HeaderMap,
        Json(item): Json<Item>,
    ) -> StatusCode {
        StatusCode::NO_CONTENT
    }
    struct __WaypostRoute;
    impl ::waypost::__private::RouteOf for __WaypostRoute {
        const ROUTE: ::waypost::__private::Route = ::waypost::__private::Route::new(
                ::waypost::__private::MethodSet::PUT
                    .union(::waypost::__private::MethodSet::POST),
                "/items/<rest..>",
                |
                    request: ::waypost::__private::Request,
                | -> ::waypost::__private::HandlerFuture {
                    let arg_0 = match ::waypost::__private::path_param::<
                        String,
                    >(request.parts(), 0usize, "rest", "String") {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => {
                            return ::waypost::__private::ready(response);
                        }
                    };
                    ::waypost::__private::HandlerFuture::new_in(
                        request,
                        move |mut request| async move {
                            let body = request.take_body();
                            let (arg_1, body) = match ::waypost::__private::extract(
                                    ::waypost::__private::Type::<HeaderMap>,
                                    request.parts_mut(),
                                    body,
                                )
                                .await
                            {
                                ::core::result::Result::Ok(value) => value,
                                ::core::result::Result::Err(response) => return response,
                            };
                            let (arg_2, body) = match ::waypost::__private::extract(
                                    ::waypost::__private::Type::<Json<Item>>,
                                    request.parts_mut(),
                                    body,
                                )
                                .await
                            {
                                ::core::result::Result::Ok(value) => value,
                                ::core::result::Result::Err(response) => return response,
                            };
                            let _ = body;
                            let output = put_item(arg_0, arg_1, arg_2).await;
                            ::waypost::__private::into_response_for::<
                                StatusCode,
                            >(output, request.parts())
                        },
                    )
                },
            )
            .shape("/items/<..>", "/items/{*p0}")
            .candidate_keys(&[18204226974465831210u64, 9687892966588421996u64])
            .declared(
                "put_item",
                ::core::module_path!(),
                ::core::file!(),
                ::core::line!(),
            )
            .required(|needs: &mut ::waypost::__private::StateNeeds| {
                ::waypost::__private::require_arg(
                    ::waypost::__private::Type::<HeaderMap>,
                    needs,
                );
                ::waypost::__private::require_arg(
                    ::waypost::__private::Type::<Json<Item>>,
                    needs,
                );
            });
    }
    ::waypost::__private::RoutedFuture::<
        __WaypostRoute,
        _,
    >::new(put_item(rest, headers, arg2))
}
