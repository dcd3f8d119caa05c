#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cxagent::server::openapi {

//! The named component schemas of docs/api.md (all but Error, which the route table adds).
nlohmann::json Schemas();

//! `{"$ref": "#/components/schemas/<name>"}`.
nlohmann::json Ref(std::string_view name);
//! A response object whose application/json content has `schema`.
nlohmann::json JsonResponse(std::string_view description, nlohmann::json schema);
//! A required JSON request body with `schema`.
nlohmann::json JsonBody(std::string_view description, nlohmann::json schema);
//! A query parameter object (optional unless `required`).
nlohmann::json Query(std::string_view name, std::string_view description, nlohmann::json schema,
                     bool required = false);
//! The path parameter `id` of an incident.
nlohmann::json IncidentIdParameter();
//! A string schema with format date.
nlohmann::json DateSchema();

}  // namespace cxagent::server::openapi
