pub fn configure(_: &mut utoipa_actix_web::service_config::ServiceConfig) {}
