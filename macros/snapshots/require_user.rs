/// Checks the bearer token.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct require_user;
impl require_user {
    /// Checks the bearer token.
    pub async fn require_user(
        bearer: Bearer,
        mut req: Request,
        next: Next,
    ) -> Result<Response, Problem> {
        req.extensions_mut().insert(User::from(bearer));
        Ok(next.run(req).await)
    }
    #[doc(hidden)]
    const __WAYPOST_SHIM: (
        fn(
            ::waypost::__private::Request,
            ::waypost::__private::Next,
        ) -> ::waypost::__private::HandlerFuture,
        fn(&mut ::waypost::__private::StateNeeds),
    ) = (
        |
            request: ::waypost::__private::Request,
            next: ::waypost::__private::Next,
        | -> ::waypost::__private::HandlerFuture {
            ::waypost::__private::HandlerFuture::new_in(
                request,
                move |request| async move {
                    let mut request = request;
                    let arg_0 = match ::waypost::__private::middleware_arg(
                            ::waypost::__private::Type::<Bearer>,
                            request.parts_mut(),
                        )
                        .await
                    {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                    let output = require_user::require_user(arg_0, request, next).await;
                    ::waypost::__private::into_response::<
                        Result<Response, Problem>,
                    >(output)
                },
            )
        },
        |needs: &mut ::waypost::__private::StateNeeds| {
            ::waypost::__private::require_middleware_arg(
                ::waypost::__private::Type::<Bearer>,
                needs,
            );
        },
    );
}
impl ::waypost::__private::Middleware for require_user {
    fn call(
        &self,
        request: ::waypost::__private::Request,
        next: ::waypost::__private::Next,
    ) -> ::waypost::__private::HandlerFuture {
        (require_user::__WAYPOST_SHIM.0)(request, next)
    }
    fn name(&self) -> &'static str {
        "require_user"
    }
    fn provides(&self, provided: &mut ::waypost::__private::Provided) {
        provided.insert::<User>();
    }
    fn required(&self, needs: &mut ::waypost::__private::StateNeeds) {
        (require_user::__WAYPOST_SHIM.1)(needs)
    }
}
