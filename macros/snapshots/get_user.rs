#[allow(clippy::must_use_candidate)]
pub fn get_user(
    id: u64,
    arg1: State<Db>,
) -> impl ::waypost::__private::RouteFuture<Output = Result<Json<User>, ApiError>> {
    #[allow(clippy::too_many_arguments)]
    async fn get_user(id: u64, State(db): State<Db>) -> Result<Json<User>, ApiError> {
        db.find(id).await.map(Json)
    }
    struct __WaypostRoute;
    impl ::waypost::__private::RouteOf for __WaypostRoute {
        const ROUTE: ::waypost::__private::Route = ::waypost::__private::Route::new(
                ::waypost::__private::MethodSet::GET,
                "/users/<id>",
                |
                    request: ::waypost::__private::Request,
                | -> ::waypost::__private::HandlerFuture {
                    let arg_0 = match ::waypost::__private::path_param::<
                        u64,
                    >(request.parts(), 0usize, "id", "u64") {
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
                                    ::waypost::__private::Type::<State<Db>>,
                                    request.parts_mut(),
                                    body,
                                )
                                .await
                            {
                                ::core::result::Result::Ok(value) => value,
                                ::core::result::Result::Err(response) => return response,
                            };
                            let _ = body;
                            let output = get_user(arg_0, arg_1).await;
                            ::waypost::__private::into_response_for::<
                                Result<Json<User>, ApiError>,
                            >(output, request.parts())
                        },
                    )
                },
            )
            .shape("/users/<>", "/users/{p0}")
            .candidate_keys(&[8913951954448012805u64, 897678957101982096u64])
            .declared(
                "get_user",
                ::core::module_path!(),
                ::core::file!(),
                ::core::line!(),
            )
            .required(|needs: &mut ::waypost::__private::StateNeeds| {
                ::waypost::__private::require_head_arg(
                    ::waypost::__private::Type::<State<Db>>,
                    needs,
                );
            });
    }
    ::waypost::__private::RoutedFuture::<__WaypostRoute, _>::new(get_user(id, arg1))
}
