/*
 * serving.h - models, endpoint configs and endpoints: the model servers
 * tunerd starts and supervises, and the data plane that proxies
 * InvokeEndpoint to them.
 *
 * Owns every model-server process (one per instance of a variant), their
 * health checks and restarts, and the proxy connections. Never touches SQL
 * directly (store.h) and never blocks the loop.
 *
 * A deployment is what an endpoint's servers run, as a JSON snapshot
 * taken when CreateEndpoint/UpdateEndpoint was called (so deleting a model
 * or a configuration later changes nothing that runs):
 *   {"EndpointConfigName": "...", "Variants": [{"VariantName", "ModelName",
 *    "Image", "ModelDataUrl", "ModelPath", "Environment": {...},
 *    "InstanceCount", "InstanceType", "Weight", "StartupTimeout"}]}
 * serving_deployment_add() writes one variant of it.
 */
#ifndef TD_SERVING_H
#define TD_SERVING_H

#include <sys/types.h>

#include <cjson/cJSON.h>

#include "apierr.h"

struct daemon;
struct serving;
struct http_conn;
struct http_request;
struct td_model_spec;
struct td_variant;

int serving_new(struct daemon *d, struct serving **out);
/* Brings back every endpoint found InService/Creating/Updating in the store. */
int serving_start(struct serving *s);
/* On daemon shutdown: stops timers and proxies; what happens to servers is documented in serving.c. */
void serving_close(struct serving *s);
void serving_free(struct serving *s);
/* POST /endpoints/<name>/invocations: answers conn (now or later). */
void serving_invoke(struct serving *s, struct http_conn *conn,
    const struct http_request *req, const char *endpoint_name);

/*
 * The reaper's hook (sched.c reaps every child with waitpid(-1)): pid
 * ended with a wait status. A pid that is no model server is ignored;
 * s may be NULL.
 */
void serving_child_exited(struct serving *s, pid_t pid, int status);

/*
 * Checks that tunerd can serve a model's container: a builtin:<algo>
 * image with local model data, or a local runtime/program (Script Mode).
 * *path gets the model data's local path (caller frees) or NULL when the
 * model has none. Returns 0, or TD_EINVAL with e filled as SageMaker
 * words it (ValidationException).
 */
int serving_model_check(const struct td_model_spec *m, char **path,
    struct apierr *e);
/* Appends one variant to a deployment's "Variants" array. */
void serving_deployment_add(cJSON *variants, const struct td_variant *v,
    const struct td_model_spec *m, const char *model_path,
    long startup_timeout_s);

/*
 * CreateEndpoint, once the request is validated and the deployment built:
 * writes the endpoint (Creating) and starts its servers. Returns 0,
 * TD_EEXIST when the name is taken (in any case), or another code.
 */
int serving_create_endpoint(struct serving *s, const char *name,
    const char *request, const char *config_name, const char *deployment);
/* UpdateEndpoint: starts the new deployment beside the serving one; e filled on error. */
int serving_update_endpoint(struct serving *s, const char *name,
    const char *config_name, const char *deployment, struct apierr *e);
/* DeleteEndpoint: Deleting now, gone once every server has exited; e filled on error. */
int serving_delete_endpoint(struct serving *s, const char *name,
    struct apierr *e);
/* The DescribeEndpoint answer (caller owns it), or NULL when no such endpoint. */
cJSON *serving_describe_endpoint(struct serving *s, const char *name);

#endif
