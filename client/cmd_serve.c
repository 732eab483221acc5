/*
 * cmd_serve.c - the serving commands: deploy, endpoints list/describe/
 * delete, predict.
 *
 * Owns cmd_serve_table and the naming rule of deploy: the model, the
 * endpoint config and the endpoint all get the endpoint's name (the
 * SageMaker SDK does the same), which is how `endpoints delete` knows
 * which config and model deploy created. Local prediction goes through
 * the ml module (mlmod.h), loaded only here.
 */
#include <sys/stat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mlmod.h"
#include "util.h"

#define SM(op)	"SageMaker." op

static int
serve_call_name(struct cli *c, const char *op, const char *field,
    const char *name, cJSON **resp, struct api_error *e)
{
	cJSON *req = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(req, field, name);
	rc = api_call(c, op, req, resp, e);
	cJSON_Delete(req);
	return rc;
}

/* --- deploy ------------------------------------------------------------ */

/* The hyperparameter's value with the SDK's JSON quoting removed. */
static char *
serve_unquote(const char *v)
{
	cJSON *j = cJSON_Parse(v);
	char *s = cJSON_IsString(j) ? strdup(j->valuestring) : strdup(v);

	cJSON_Delete(j);
	return s;
}

static cJSON *
serve_model_req(const char *name, const cJSON *job)
{
	const char *hps[][2] = {
		{ "sagemaker_program", "SAGEMAKER_PROGRAM" },
		{ "sagemaker_submit_directory", "SAGEMAKER_SUBMIT_DIRECTORY" },
	};
	cJSON *req = cJSON_CreateObject(), *pc, *env = cJSON_CreateObject();
	const char *v;
	char *u;
	size_t i;

	cJSON_AddStringToObject(req, "ModelName", name);
	pc = cJSON_AddObjectToObject(req, "PrimaryContainer");
	cJSON_AddStringToObject(pc, "Image", cli_jstr(cli_jpath(job,
	    "AlgorithmSpecification"), "TrainingImage") ?: "");
	cJSON_AddStringToObject(pc, "ModelDataUrl", cli_jstr(cli_jpath(job,
	    "ModelArtifacts"), "S3ModelArtifacts") ?: "");
	/* A Script Mode model serves with its code, as the SDK's model does. */
	for (i = 0; i < 2; i++) {
		if ((v = cli_jstr(cli_jpath(job, "HyperParameters"),
		    hps[i][0])) == NULL)
			continue;
		u = serve_unquote(v);
		cJSON_AddStringToObject(env, hps[i][1], u);
		free(u);
	}
	if (env->child != NULL)
		cJSON_AddItemToObject(pc, "Environment", env);
	else
		cJSON_Delete(env);
	return req;
}

static cJSON *
serve_config_req(const char *name, long instances, const char *type)
{
	cJSON *req = cJSON_CreateObject(), *arr, *v;

	cJSON_AddStringToObject(req, "EndpointConfigName", name);
	arr = cJSON_AddArrayToObject(req, "ProductionVariants");
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "VariantName", "AllTraffic");
	cJSON_AddStringToObject(v, "ModelName", name);
	cJSON_AddNumberToObject(v, "InitialInstanceCount", (double)instances);
	cJSON_AddNumberToObject(v, "InitialVariantWeight", 1.0);
	if (type != NULL)
		cJSON_AddStringToObject(v, "InstanceType", type);
	cJSON_AddItemToArray(arr, v);
	return req;
}

/* Polls DescribeEndpoint until InService (0), Failed or timeout (CLI_FAIL). */
static int
serve_wait_endpoint(struct cli *c, const char *name, double timeout)
{
	double t0 = td_now();
	unsigned int delay = 100;
	cJSON *d = NULL;
	const char *st;
	int rc;

	for (;;) {
		if ((rc = serve_call_name(c, SM("DescribeEndpoint"),
		    "EndpointName", name, &d, NULL)) != 0)
			return rc;
		st = cli_jstr(d, "EndpointStatus");
		if (st != NULL && strcmp(st, "InService") == 0) {
			cJSON_Delete(d);
			return 0;
		}
		if (st != NULL && (strcmp(st, "Failed") == 0 ||
		    strcmp(st, "OutOfService") == 0 ||
		    strcmp(st, "Deleting") == 0)) {
			cli_err("endpoint %s is %s%s%s", name, st,
			    cli_jstr(d, "FailureReason") ? ": " : "",
			    cli_jstr(d, "FailureReason") ?: "");
			cJSON_Delete(d);
			return CLI_FAIL;
		}
		if (td_now() - t0 > timeout) {
			cli_err("timed out after %.0fs waiting for endpoint %s "
			    "(status %s)", timeout, name, st ? st : "?");
			cJSON_Delete(d);
			return CLI_FAIL;
		}
		cJSON_Delete(d);
		d = NULL;
		cli_sleep_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
}

static int
serve_deploy_job(struct cli *c, const struct cli_args *a, const char *job,
    const char *name)
{
	const char *v, *st;
	double timeout = 300;
	long instances = 1;
	cJSON *d = NULL, *req, *resp = NULL;
	struct buf url = {0};
	int rc;

	if ((v = opt_get(a, "instances")) != NULL && td_parse_long(v, 1, 100,
	    &instances) != 0)
		return cli_usage(c, "bad count \"%s\" (--instances)", v);
	if ((v = opt_get(a, "timeout")) != NULL &&
	    (td_parse_double(v, &timeout) != 0 || timeout <= 0))
		return cli_usage(c, "bad timeout \"%s\" (--timeout)", v);
	if ((rc = serve_call_name(c, SM("DescribeTrainingJob"),
	    "TrainingJobName", job, &d, NULL)) != 0)
		return rc;
	st = cli_jstr(d, "TrainingJobStatus");
	if (st == NULL || strcmp(st, "Completed") != 0 ||
	    cli_jpath(d, "ModelArtifacts.S3ModelArtifacts") == NULL) {
		cli_err("training job %s is %s; only a Completed job with a "
		    "model can be deployed", job, st ? st : "?");
		cJSON_Delete(d);
		return CLI_FAIL;
	}
	cli_note(c, "creating model, endpoint config and endpoint %s", name);
	req = serve_model_req(name, d);
	cJSON_Delete(d);
	rc = api_call(c, SM("CreateModel"), req, &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0)
		return rc;
	req = serve_config_req(name, instances, opt_get(a, "instance-type"));
	rc = api_call(c, SM("CreateEndpointConfig"), req, &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0)
		return rc;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "EndpointName", name);
	cJSON_AddStringToObject(req, "EndpointConfigName", name);
	rc = api_call(c, SM("CreateEndpoint"), req, &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0)
		return rc;
	if (opt_count(a, "no-wait") == 0 &&
	    (rc = serve_wait_endpoint(c, name, timeout)) != 0)
		return rc;
	buf_printf(&url, "/endpoints/%s/invocations", name);
	{
		struct buf shown = {0};

		api_describe_url(c, url.data, &shown);
		printf("%s\n", shown.data);
		buf_free(&shown);
	}
	buf_free(&url);
	return CLI_OK;
}

static int
cmd_deploy(struct cli *c, struct cli_args *a)
{
	const char *best = opt_get(a, "best"), *name = opt_get(a, "endpoint-name");
	char job[256];
	cJSON *d = NULL;
	int rc;

	if ((best != NULL) == (a->npos == 1) || a->npos > 1)
		return cli_usage(c, "expected a TRAINING_JOB or --best TUNING_JOB");
	if (best != NULL) {
		if ((rc = cmd_describe_tuning_raw(c, best, &d)) != 0)
			return rc;
		if (cli_jstr(cli_jpath(d, "BestTrainingJob"),
		    "TrainingJobName") == NULL) {
			cli_err("tuning job %s has no best training job yet",
			    best);
			cJSON_Delete(d);
			return CLI_FAIL;
		}
		snprintf(job, sizeof(job), "%s", cli_jstr(cli_jpath(d,
		    "BestTrainingJob"), "TrainingJobName"));
		cJSON_Delete(d);
	} else
		snprintf(job, sizeof(job), "%s", a->pos[0]);
	return serve_deploy_job(c, a, job, name != NULL ? name : job);
}

/* --- endpoints --------------------------------------------------------- */

static int
cmd_endpoints_list(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = {
		"EndpointName", "EndpointStatus", "CreationTime",
		"LastModifiedTime",
	};
	cJSON *req, *all = NULL, *it;
	struct out_table *t;
	size_t r, k;
	int rc;

	if (a->npos > 0)
		return cli_usage(c, "unexpected argument \"%s\"", a->pos[0]);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "SortBy", "CreationTime");
	cJSON_AddStringToObject(req, "SortOrder", "Descending");
	rc = cmd_list_all(c, SM("ListEndpoints"), req, "Endpoints", 0, &all);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	if (c->fmt == OUT_JSON) {
		out_json(all, stdout);
		cJSON_Delete(all);
		return CLI_OK;
	}
	t = out_table_new(cols, 4);
	cJSON_ArrayForEach(it, all) {
		r = out_table_add_row(t);
		for (k = 0; k < 4; k++)
			out_set_json(t, r, k, cli_jpath(it, cols[k]), k < 2 ?
			    CELL_STR : CELL_TIME);
	}
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(all);
	return CLI_OK;
}

static int
cmd_endpoints_describe(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "FIELD", "VALUE" };
	const cJSON *v;
	struct out_table *t;
	cJSON *d = NULL;
	char key[300];
	size_t r;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one endpoint name");
	if ((rc = serve_call_name(c, SM("DescribeEndpoint"), "EndpointName",
	    a->pos[0], &d, NULL)) != 0)
		return rc;
	if (c->fmt == OUT_JSON) {
		out_json(d, stdout);
		cJSON_Delete(d);
		return CLI_OK;
	}
	t = out_table_new(cols, 2);
#define ROW(k, j, kind) do { r = out_table_add_row(t);			\
	out_set_str(t, r, 0, (k)); out_set_json(t, r, 1, (j), (kind)); } while (0)
	ROW("EndpointName", cli_jpath(d, "EndpointName"), CELL_STR);
	ROW("EndpointStatus", cli_jpath(d, "EndpointStatus"), CELL_STR);
	if (cli_jpath(d, "FailureReason") != NULL)
		ROW("FailureReason", cli_jpath(d, "FailureReason"), CELL_STR);
	ROW("EndpointConfigName", cli_jpath(d, "EndpointConfigName"), CELL_STR);
	cJSON_ArrayForEach(v, cli_jpath(d, "ProductionVariants")) {
		snprintf(key, sizeof(key), "Variant.%s.InstanceCount",
		    cli_jstr(v, "VariantName") ?: "?");
		ROW(key, cli_jpath(v, "CurrentInstanceCount"), CELL_NUM);
	}
	ROW("CreationTime", cli_jpath(d, "CreationTime"), CELL_TIME);
	ROW("LastModifiedTime", cli_jpath(d, "LastModifiedTime"), CELL_TIME);
#undef ROW
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(d);
	return CLI_OK;
}

/* Deletes with a few retries while tunerd still holds the resource. */
static int
serve_delete(struct cli *c, const char *op, const char *field,
    const char *name)
{
	struct api_error e;
	cJSON *resp = NULL;
	int rc, tries;

	for (tries = 0; tries < 50; tries++) {
		rc = serve_call_name(c, op, field, name, &resp, &e);
		cJSON_Delete(resp);
		resp = NULL;
		if (rc != CLI_API || strcmp(e.type, "ResourceInUse") != 0)
			break;
		cli_sleep_ms(200);
	}
	if (rc == CLI_API)
		cli_err("%s: %s (%s)", e.type, e.message, op + 10);
	return rc;
}

static int
cmd_endpoints_delete(struct cli *c, struct cli_args *a)
{
	const char *name, *cfg;
	cJSON *d = NULL, *conf = NULL;
	const cJSON *v;
	int rc, keep = opt_count(a, "keep-config") > 0;

	if (a->npos != 1)
		return cli_usage(c, "expected one endpoint name");
	name = a->pos[0];
	if ((rc = serve_call_name(c, SM("DescribeEndpoint"), "EndpointName",
	    name, &d, NULL)) != 0)
		return rc;
	cfg = cli_jstr(d, "EndpointConfigName");
	if (cfg != NULL && !keep && strcmp(cfg, name) == 0 &&
	    (rc = serve_call_name(c, SM("DescribeEndpointConfig"),
	    "EndpointConfigName", cfg, &conf, NULL)) != 0) {
		cJSON_Delete(d);
		return rc;
	}
	if ((rc = serve_delete(c, SM("DeleteEndpoint"), "EndpointName",
	    name)) != 0)
		goto out;
	cli_note(c, "deleted endpoint %s", name);
	if (conf == NULL)
		goto out;
	/* Only what deploy created: the config and model named like the endpoint. */
	if ((rc = serve_delete(c, SM("DeleteEndpointConfig"),
	    "EndpointConfigName", cfg)) != 0)
		goto out;
	cli_note(c, "deleted endpoint config %s", cfg);
	cJSON_ArrayForEach(v, cli_jpath(conf, "ProductionVariants")) {
		const char *m = cli_jstr(v, "ModelName");

		if (m == NULL || strcmp(m, name) != 0)
			continue;
		if ((rc = serve_delete(c, SM("DeleteModel"), "ModelName", m)) != 0)
			goto out;
		cli_note(c, "deleted model %s", m);
	}
out:
	cJSON_Delete(conf);
	cJSON_Delete(d);
	return rc;
}

/* --- predict ----------------------------------------------------------- */

/*
 * Prints predictions, one row per line; with targets (t, one value per
 * row), a two-column table of prediction and target, as the notebook shows
 * them side by side.
 */
static void
predict_print(struct cli *c, const double *y, size_t rows, size_t cols,
    const struct ml_matrix *t)
{
	char num[64], tnum[64];
	size_t r, k;

	if (c->fmt == OUT_JSON) {
		cJSON *o = cJSON_CreateObject(), *p, *row;

		p = cJSON_AddArrayToObject(o, "predictions");
		for (r = 0; r < rows; r++) {
			row = cJSON_CreateDoubleArray(y + r * cols, (int)cols);
			cJSON_AddItemToArray(p, row);
		}
		if (t != NULL)
			cJSON_AddItemToObject(o, "targets",
			    cJSON_CreateDoubleArray(t->data, (int)t->rows));
		out_json(o, stdout);
		cJSON_Delete(o);
		return;
	}
	if (t != NULL)
		printf("%-24s %s\n", "PREDICTION", "TARGET");
	for (r = 0; r < rows; r++) {
		for (k = 0; k < cols; k++) {
			out_num(y[r * cols + k], num, sizeof(num));
			if (t != NULL && k == 0)
				printf("%-24s", num);
			else
				printf("%s%s", k ? "," : "", num);
		}
		if (t != NULL) {
			out_num(t->data[r * t->cols], tnum, sizeof(tnum));
			printf(" %s", tnum);
		}
		putchar('\n');
	}
}

/* Reads --targets (one value per row, rows as the predictions) or NULL. */
static int
predict_targets(const char *file, size_t rows, struct ml_matrix *t,
    int *have)
{
	const struct tuner_ml *ml;
	char err[512];

	*have = 0;
	if (file == NULL)
		return 0;
	if ((ml = mlmod_open(err, sizeof(err))) == NULL) {
		cli_err("cannot read targets (%s)", err);
		return CLI_FAIL;
	}
	if (ml->matrix_read(file, t, err, sizeof(err)) != 0) {
		cli_err("bad targets (%s): %s", file, err);
		return CLI_USAGE;
	}
	if (t->rows != rows) {
		cli_err("the targets have %zu rows but there are %zu predictions "
		    "(%s)", t->rows, rows, file);
		ml->matrix_free(t);
		return CLI_USAGE;
	}
	*have = 1;
	return 0;
}

static void
predict_targets_free(struct ml_matrix *t)
{
	const struct tuner_ml *ml;
	char err[64];

	if (t->data != NULL && (ml = mlmod_open(err, sizeof(err))) != NULL)
		ml->matrix_free(t);
}

static int
predict_local(struct cli *c, const char *model, const char *input,
    const char *targets)
{
	const struct tuner_ml *ml;
	struct ml_matrix x = {0}, y = {0}, t = {0};
	int have_t = 0;
	struct ml_model *m = NULL;
	struct stat st;
	char err[512], *path = NULL;
	int rc;

	if (stat(model, &st) == 0)
		path = strdup(model);
	else if ((rc = cmd_job_artifact(c, model, &path)) != 0)
		return rc;
	if ((ml = mlmod_open(err, sizeof(err))) == NULL) {
		cli_err("local prediction is not available (%s)", err);
		free(path);
		return CLI_FAIL;
	}
	if (ml->matrix_read(input, &x, err, sizeof(err)) != 0) {
		cli_err("bad input (%s): %s", input, err);
		free(path);
		return CLI_USAGE;
	}
	if (ml->model_load(path, &m, err, sizeof(err)) != 0) {
		cli_err("cannot load the model (%s): %s", path, err);
		rc = CLI_FAIL;
	} else if (ml->predict(m, &x, &y, err, sizeof(err)) != 0) {
		cli_err("prediction failed (%s): %s", input, err);
		rc = CLI_FAIL;
	} else if ((rc = predict_targets(targets, y.rows, &t, &have_t)) == 0) {
		predict_print(c, y.data, y.rows, y.cols, have_t ? &t : NULL);
		rc = CLI_OK;
	}
	predict_targets_free(&t);
	ml->matrix_free(&y);
	ml->matrix_free(&x);
	ml->model_free(m);
	free(path);
	return rc;
}

/* The body to send: JSON rows when the ml module can read the file, else the file. */
static int
predict_body(const char *input, struct buf *body, const char **ctype)
{
	const struct tuner_ml *ml;
	const char *ext = strrchr(input, '.');
	struct ml_matrix x = {0};
	char err[512], *data = NULL;
	size_t len = 0, r, k;
	int rc;

	if (ext != NULL && strcmp(ext, ".json") != 0 &&
	    (ml = mlmod_open(err, sizeof(err))) != NULL) {
		if (ml->matrix_read(input, &x, err, sizeof(err)) != 0) {
			cli_err("bad input (%s): %s", input, err);
			return CLI_USAGE;
		}
		buf_putc(body, '[');
		for (r = 0; r < x.rows; r++) {
			buf_puts(body, r ? ",[" : "[");
			for (k = 0; k < x.cols; k++) {
				char num[64];

				out_num(x.data[r * x.cols + k], num, sizeof(num));
				buf_printf(body, "%s%s", k ? "," : "", num);
			}
			buf_putc(body, ']');
		}
		buf_putc(body, ']');
		ml->matrix_free(&x);
		*ctype = "application/json";
		return 0;
	}
	if ((rc = cli_read_input(input, "the input", &data, &len)) != 0)
		return rc;
	buf_append(body, data, len);
	free(data);
	*ctype = ext != NULL && strcmp(ext, ".csv") == 0 ? "text/csv" :
	    ext != NULL && strcmp(ext, ".npy") == 0 ? "application/x-npy" :
	    "application/json";
	return 0;
}

static int
predict_endpoint(struct cli *c, const char *name, const char *input,
    const char *targets)
{
	struct buf body = {0}, out = {0}, path = {0};
	const char *ctype = NULL, *headers[3];
	char hdr[128];
	struct api_error e;
	cJSON *resp;
	const cJSON *p, *row, *v;
	long status = 0;
	int rc;

	if ((rc = predict_body(input, &body, &ctype)) != 0)
		return rc;
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
	headers[0] = hdr;
	headers[1] = "Accept: application/json";
	headers[2] = NULL;
	buf_printf(&path, "/endpoints/%s/invocations", name);
	rc = api_request(c, path.data, headers, body.data ? body.data : "",
	    body.len, &out, &status);
	buf_free(&body);
	buf_free(&path);
	if (rc != 0) {
		buf_free(&out);
		return rc;
	}
	if (status < 200 || status >= 300) {
		api_error_parse(out.data, status, &e);
		cli_err("%s: %s (endpoint %s)", e.type, e.message, name);
		buf_free(&out);
		return CLI_API;
	}
	resp = cJSON_Parse(out.data ? out.data : "");
	p = cli_jpath(resp, "predictions");
	if (!cJSON_IsArray(p) || (c->fmt == OUT_JSON && targets == NULL)) {
		if (resp != NULL)
			out_json(resp, stdout);
		else
			fwrite(out.data ? out.data : "", 1, out.len, stdout);
	} else {
		size_t rows = (size_t)cJSON_GetArraySize(p), cols = 1, r = 0, k;
		double *y;
		struct ml_matrix t = {0};
		int have_t = 0;

		row = cJSON_GetArrayItem(p, 0);
		if (cJSON_IsArray(row) && cJSON_GetArraySize(row) > 0)
			cols = (size_t)cJSON_GetArraySize(row);
		if ((y = calloc(rows * cols + 1, sizeof(*y))) == NULL)
			abort();
		cJSON_ArrayForEach(row, p) {
			k = 0;
			if (!cJSON_IsArray(row)) {
				y[r * cols] = cJSON_IsNumber(row) ?
				    row->valuedouble : NAN;
			} else {
				cJSON_ArrayForEach(v, row) {
					if (k < cols)
						y[r * cols + k] = cJSON_IsNumber(v) ?
						    v->valuedouble : NAN;
					k++;
				}
			}
			r++;
		}
		if ((rc = predict_targets(targets, rows, &t, &have_t)) == 0)
			predict_print(c, y, rows, cols, have_t ? &t : NULL);
		predict_targets_free(&t);
		free(y);
		if (rc != 0) {
			cJSON_Delete(resp);
			buf_free(&out);
			return rc;
		}
	}
	cJSON_Delete(resp);
	buf_free(&out);
	return CLI_OK;
}

static int
cmd_predict(struct cli *c, struct cli_args *a)
{
	const char *model = opt_get(a, "model"), *ep = opt_get(a, "endpoint");
	const char *input = opt_get(a, "input"), *targets = opt_get(a, "targets");

	if (a->npos > 0)
		return cli_usage(c, "unexpected argument \"%s\"", a->pos[0]);
	if ((model == NULL) == (ep == NULL))
		return cli_usage(c, "give --model or --endpoint (one of them)");
	if (input == NULL)
		return cli_usage(c, "no input: give --input FILE");
	if (c->fmt == OUT_CSV)
		c->fmt = OUT_TABLE;
	return model != NULL ? predict_local(c, model, input, targets) :
	    predict_endpoint(c, ep, input, targets);
}

/* --- the table --------------------------------------------------------- */

static const struct cli_opt deploy_opts[] = {
	{ "best", 0, "TUNING_JOB", 0, "deploy the best training job of this "
	    "tuning job (the endpoint is named after that training job)" },
	{ "endpoint-name", 0, "NAME", 0, "the endpoint's name, also used for "
	    "its model and endpoint config (default: the training job's)" },
	{ "instances", 0, "N", 0, "InitialInstanceCount: model server "
	    "processes (default 1)" },
	{ "instance-type", 0, "TYPE", 0, "InstanceType, recorded as given "
	    "(optional locally)" },
	{ "no-wait", 0, NULL, 0, "return once the endpoint is being created" },
	{ "timeout", 0, "SECONDS", 0, "how long to wait for InService "
	    "(default 300; exit 1 after)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt delete_opts[] = {
	{ "keep-config", 0, NULL, 0, "delete only the endpoint, not the "
	    "config and model deploy created with it" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt predict_opts[] = {
	{ "model", 'm', "MODEL", 0, "predict locally with a training job's "
	    "model (its name), a model.tar.gz or a model directory" },
	{ "endpoint", 'e', "NAME", 0, "predict with a deployed endpoint" },
	{ "input", 'i', "FILE", 0, "the rows to predict: .npy, .csv (numbers, "
	    "no header) or .json (a list of rows, or {\"instances\": ...})" },
	{ "targets", 't', "FILE", 0, "print each prediction next to its target "
	    "from FILE (.npy, .csv or .json, one value per row), as a "
	    "PREDICTION TARGET table" },
	{ NULL, 0, NULL, 0, NULL },
};

const struct cli_cmd cmd_serve_table[] = {
	{ "deploy", "[options] (TRAINING_JOB | --best TUNING_JOB)",
	    "Deploy a trained model to an endpoint and print its invocation "
	    "URL.", deploy_opts, NULL, cmd_deploy,
	    "Creates a model (the job's TrainingImage and model artifact), an "
	    "endpoint config with one variant \"AllTraffic\" and the "
	    "endpoint, all with one name, then waits for InService.", NULL },
	{ "endpoints list", "",
	    "List endpoints (ListEndpoints).", NULL, NULL, cmd_endpoints_list,
	    NULL, NULL },
	{ "endpoints describe", "NAME",
	    "Show an endpoint (DescribeEndpoint).", NULL, NULL,
	    cmd_endpoints_describe, NULL, NULL },
	{ "endpoints delete", "[--keep-config] NAME",
	    "Delete an endpoint and, if deploy created them, its endpoint "
	    "config and model (same name).", delete_opts, NULL,
	    cmd_endpoints_delete, NULL, NULL },
	{ "predict", "(--model MODEL | --endpoint NAME) --input FILE [--targets FILE]",
	    "Predict: locally with a model, or through an endpoint; one "
	    "prediction per line (-o json: {\"predictions\": [[...], ...]}).",
	    predict_opts, NULL, cmd_predict,
	    "A row with several outputs prints them comma-separated. With "
	    "--endpoint, .npy and .csv inputs are sent as JSON rows.", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
