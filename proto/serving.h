/*
 * serving.h - CreateModel, CreateEndpointConfig, CreateEndpoint and
 * UpdateEndpoint as validated C structs.
 *
 * Local differences, documented in the API reference: ExecutionRoleArn is
 * optional; a model has one container (PrimaryContainer, or Containers
 * with exactly one entry; inference pipelines are refused as not supported
 * locally); ModelDataUrl may be "file://...", an absolute path, or
 * "http(s)://" / "s3://" (the daemon decides what it can fetch);
 * ProductionVariant.InstanceType is optional; VPC, KMS, data capture,
 * deployment policies and the like are validated and ignored.
 *
 * Ownership: *_decode() return a struct the caller owns and frees with the
 * matching *_free(); every string in it belongs to it; *_free(NULL) is a
 * no-op.
 */
#ifndef TD_PROTO_SERVING_H
#define TD_PROTO_SERVING_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"
#include "training.h"

struct td_model_spec {
	char		*name;			/* ModelName */
	char		*image;			/* Image or NULL */
	char		*model_data_url;	/* ModelDataUrl, or ModelDataSource.S3DataSource.S3Uri, or NULL */
	char		*mode;			/* Mode: "SingleModel" (default) or "MultiModel" */
	char		*container_hostname;	/* ContainerHostname or NULL */
	struct td_kv	*environment;		/* Environment, in request order */
	size_t		 n_environment;
	char		*execution_role_arn;	/* ExecutionRoleArn or NULL (unused locally) */
	struct td_kv	*tags;			/* Tags (Key -> Value) */
	size_t		 n_tags;
};

int model_spec_decode(const cJSON *req, struct td_model_spec **out,
    struct apierr *e);
void model_spec_free(struct td_model_spec *m);

struct td_variant {
	char	*variant_name;		/* VariantName */
	char	*model_name;		/* ModelName (required locally) */
	long	 initial_instance_count; /* InitialInstanceCount, default 1 */
	char	*instance_type;		/* InstanceType or NULL */
	double	 initial_weight;	/* InitialVariantWeight, default 1.0 */
};

struct td_endpoint_config_spec {
	char			*name;		/* EndpointConfigName */
	struct td_variant	*variants;	/* ProductionVariants, 1..10, names unique */
	size_t			 n_variants;
	struct td_kv		*tags;
	size_t			 n_tags;
};

int endpoint_config_spec_decode(const cJSON *req,
    struct td_endpoint_config_spec **out, struct apierr *e);
void endpoint_config_spec_free(struct td_endpoint_config_spec *c);

/* CreateEndpoint and UpdateEndpoint. */
struct td_endpoint_spec {
	char		*name;			/* EndpointName */
	char		*config_name;		/* EndpointConfigName */
	struct td_kv	*tags;			/* CreateEndpoint Tags */
	size_t		 n_tags;
	int		 retain_all_variant_properties;	/* UpdateEndpoint only */
};

int endpoint_spec_decode(const cJSON *req, struct td_endpoint_spec **out,
    struct apierr *e);
int endpoint_update_decode(const cJSON *req, struct td_endpoint_spec **out,
    struct apierr *e);
void endpoint_spec_free(struct td_endpoint_spec *s);

#endif
