pub async fn get_user(id: u64, State(db): State<Db>) -> Result<Json<User>, ApiError> {
    db.find(id).await.map(Json)
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct get_user {}
impl get_user {
    #[doc(hidden)]
    pub const ROUTE: ::waypost::__private::Route = ::waypost::__private::Route::new(::waypost::__private::RouteDef {
        methods: ::waypost::__private::MethodSet::GET,
        path: "/users/<id>",
        shape: "/users/<>",
        router_path: "/users/{p0}",
        handler_name: "get_user",
        module_path: ::core::module_path!(),
        file: ::core::file!(),
        line: ::core::line!(),
        conflict_message: "route conflict: `GET /users/<id>` (handler `get_user`) matches the same requests as an earlier handler in this `routes![]` list; paths that differ only in parameter names collide: change the path or the method, or remove one of them",
        handler: |
            request: ::waypost::__private::Request,
            params: &::waypost::__private::Params<'_, '_>,
            app: &::waypost::__private::Arc<::waypost::__private::AppShared>,
        | -> ::waypost::__private::HandlerFuture {
            let arg_0 = match ::waypost::__private::path_param::<
                u64,
            >(params, 0usize, "id", "u64") {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(response) => {
                    return ::waypost::__private::ready(response);
                }
            };
            let mut parts = ::waypost::__private::request_parts(request, app);
            ::waypost::__private::Box::pin(async move {
                let arg_1 = match ::waypost::__private::extract::<State<Db>>(&mut parts)
                    .await
                {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(response) => return response,
                };
                let output = get_user(arg_0, arg_1).await;
                ::waypost::__private::into_response::<
                    Result<Json<User>, ApiError>,
                >(output)
            })
        },
        required_state: |needs: &mut ::waypost::__private::StateNeeds| {
            <State<Db> as ::waypost::__private::FromRequest>::required_state(needs);
        },
    });
}
const _: ::waypost::__private::Route = get_user::ROUTE;
