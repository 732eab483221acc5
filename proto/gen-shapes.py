#!/usr/bin/env python3
"""gen-shapes.py - writes proto/shapes.c and proto/shapes.h from botocore's
SageMaker model plus tunerd's local annotations (below).

Maintenance tool, not part of the build: run it by hand when botocore's
model gains members users' clients send, and commit both outputs.

    python3 proto/gen-shapes.py /path/to/sagemaker/2017-07-24/service-2.json[.gz] proto/

Only the input shapes of the operations in OPS (and what they reach) are
emitted. Facts (names, types, limits, patterns, enums) come from the
model; botocore's documentation text is never copied. Every tunerd-specific
difference is in the tables below, each with the reason.
"""

import gzip
import json
import sys

OPS = """CreateTrainingJob DescribeTrainingJob ListTrainingJobs StopTrainingJob
CreateHyperParameterTuningJob DescribeHyperParameterTuningJob
ListHyperParameterTuningJobs ListTrainingJobsForHyperParameterTuningJob
StopHyperParameterTuningJob CreateModel DescribeModel ListModels DeleteModel
CreateEndpointConfig DescribeEndpointConfig ListEndpointConfigs
DeleteEndpointConfig CreateEndpoint DescribeEndpoint ListEndpoints
DeleteEndpoint UpdateEndpoint""".split()

# Locations may be local: file:// URLs and absolute paths, besides http(s)
# and s3 (which the daemon refuses later as not available locally).
LOCAL_URI = r"(https?|s3)://([^/]+)/?(.*)|file://.*|/.*"
PATTERN_OVERRIDE = {
    "S3Uri": LOCAL_URI,
    "Url": LOCAL_URI,
    "S3ModelUri": LOCAL_URI,
}

# Required by SageMaker (botocore enforces it client-side), optional here:
# a local user of `tuner api` needs no fake role, bucket or file system id.
LOCAL_OPTIONAL = {
    ("CreateTrainingJobRequest", "RoleArn"): "Optional locally; accepted and unused.",
    ("CreateTrainingJobRequest", "OutputDataConfig"): "Optional locally; the model is kept in the job directory.",
    ("HyperParameterTrainingJobDefinition", "RoleArn"): "Optional locally; accepted and unused.",
    ("HyperParameterTrainingJobDefinition", "OutputDataConfig"): "Optional locally.",
    ("HyperParameterTrainingJobDefinition", "StoppingCondition"): "Optional locally; MaxRuntimeInSeconds defaults to 86400.",
    ("AlgorithmSpecification", "TrainingInputMode"): "Optional locally; File when absent.",
    ("HyperParameterAlgorithmSpecification", "TrainingInputMode"): "Optional locally; File when absent.",
    ("S3DataSource", "S3DataType"): "Optional locally; S3Prefix when absent.",
    ("FileSystemDataSource", "FileSystemId"): "Optional locally; only DirectoryPath is used.",
    ("FileSystemDataSource", "FileSystemAccessMode"): "Optional locally.",
    ("FileSystemDataSource", "FileSystemType"): "Optional locally.",
    ("S3ModelDataSource", "S3DataType"): "Optional locally.",
    ("S3ModelDataSource", "CompressionType"): "Optional locally.",
}

_CLOUD = None  # the API reference says "Ignored locally" from the flag
IGNORED = {}
for shape, names in {
    "CreateTrainingJobRequest": "RoleArn VpcConfig Tags EnableNetworkIsolation "
        "EnableInterContainerTrafficEncryption EnableManagedSpotTraining "
        "CheckpointConfig DebugHookConfig DebugRuleConfigurations "
        "TensorBoardOutputConfig ExperimentConfig ProfilerConfig "
        "ProfilerRuleConfigurations RemoteDebugConfig InfraCheckConfig "
        "SessionChainingConfig ServerlessJobConfig MlflowConfig ModelPackageConfig",
    "AlgorithmSpecification": "TrainingImageConfig EnableSageMakerMetricsTimeSeries",
    "Channel": "RecordWrapperType ShuffleConfig",
    "S3DataSource": "S3DataType S3DataDistributionType AttributeNames "
        "InstanceGroupNames ModelAccessConfig HubAccessConfig",
    "FileSystemDataSource": "FileSystemId FileSystemAccessMode FileSystemType",
    "OutputDataConfig": "KmsKeyId CompressionType",
    "ResourceConfig": "VolumeKmsKeyId InstanceGroups KeepAlivePeriodInSeconds "
        "InstancePlacementConfig TrainingPlanArn",
    "StoppingCondition": "MaxPendingTimeInSeconds",
    "CreateHyperParameterTuningJobRequest": "Tags",
    "HyperParameterTrainingJobDefinition": "RoleArn VpcConfig EnableNetworkIsolation "
        "EnableInterContainerTrafficEncryption EnableManagedSpotTraining "
        "CheckpointConfig HyperParameterTuningResourceConfig DefinitionName",
    "CreateModelInput": "ExecutionRoleArn VpcConfig EnableNetworkIsolation "
        "InferenceExecutionConfig",
    "ContainerDefinition": "ImageConfig MultiModelConfig InferenceSpecificationName "
        "AdditionalModelDataSources",
    "CreateEndpointConfigInput": "AsyncInferenceConfig DataCaptureConfig "
        "ExplainerConfig KmsKeyId ShadowProductionVariants ExecutionRoleArn "
        "VpcConfig EnableNetworkIsolation MetricsConfig",
    "ProductionVariant": "AcceleratorType CoreDumpConfig ServerlessConfig "
        "VolumeSizeInGB ModelDataDownloadTimeoutInSeconds "
        "ContainerStartupHealthCheckTimeoutInSeconds EnableSSMAccess "
        "ManagedInstanceScaling RoutingConfig InferenceAmiVersion "
        "CapacityReservationConfig InstancePools "
        "VariantInstanceProvisionTimeoutInSeconds",
    "CreateEndpointInput": "DeploymentConfig",
    "UpdateEndpointInput": "DeploymentConfig ExcludeRetainedVariantProperties "
        "RetainDeploymentConfig",
    "ListTrainingJobsRequest": "WarmPoolStatusEquals TrainingPlanArnEquals",
}.items():
    for n in names.split():
        IGNORED[(shape, n)] = _CLOUD

UNSUPPORTED = {
    ("CreateHyperParameterTuningJobRequest", "WarmStartConfig"): "Not supported locally yet; a request using it is refused.",
    ("CreateHyperParameterTuningJobRequest", "Autotune"): "Not supported locally; a request using it is refused.",
    ("ParameterRanges", "AutoParameters"): "Not supported locally; a request using it is refused.",
    ("DataSource", "DatasetSource"): "Not supported locally; a request using it is refused.",
    ("ContainerDefinition", "ModelPackageName"): "Not supported locally; a request using it is refused.",
}

MEMBER_DOCS = {
    ("CreateHyperParameterTuningJobRequest", "TrainingJobDefinitions"): "At most one entry locally (then the same as TrainingJobDefinition).",
    ("CreateModelInput", "Containers"): "Exactly one container locally (no inference pipelines), or use PrimaryContainer.",
    ("CreateHyperParameterTuningJobRequest", "TrainingJobDefinition"): "Optional locally: a tuning job without one is driven by Tunerd.AskTuningJob/TellTuningJob.",
    ("CreateTrainingJobRequest", "AlgorithmSpecification"): "TrainingImage names a program or a built-in algorithm locally (see the worker documentation).",
    ("Channel", "DataSource"): "S3Uri may be file://, an absolute path or http(s)://; FileSystemDataSource.DirectoryPath is a local directory.",
    ("ContainerDefinition", "ModelDataUrl"): "file://, an absolute path, or http(s)://.",
    ("ProductionVariant", "InstanceType"): "Optional locally.",
    ("ProductionVariant", "ModelName"): "Required locally.",
}

SHAPE_DOCS = {
    "S3Uri": "Locally also file://... or an absolute path.",
    "Url": "Locally also file://... or an absolute path.",
    "S3ModelUri": "Locally also file://... or an absolute path.",
}

KIND = {
    "string": "PROTO_STRING", "integer": "PROTO_INTEGER", "long": "PROTO_LONG",
    "double": "PROTO_DOUBLE", "float": "PROTO_DOUBLE", "boolean": "PROTO_BOOLEAN",
    "timestamp": "PROTO_TIMESTAMP", "structure": "PROTO_STRUCTURE",
    "list": "PROTO_LIST", "map": "PROTO_MAP",
}


def cstr(s):
    if s is None:
        return "NULL"
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ord(ch) < 0x20 or ord(ch) > 0x7e:
            out += "\\x%02x" % ord(ch) if ord(ch) < 0x80 else "".join(
                "\\%03o" % b for b in ch.encode())
        else:
            out += ch
    return out + '"'


def java_to_pcre(p):
    # Java's POSIX-like class names have PCRE2 bracket equivalents.
    return p.replace(r"\p{Alnum}", "[:alnum:]")


def num(v):
    return repr(float(v)) if isinstance(v, float) else "%d" % v


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt") as f:
        model = json.load(f)
    shapes, ops = model["shapes"], model["operations"]
    version = model["metadata"].get("apiVersion", "?")

    order = []
    seen = set()

    def walk(n):
        if n in seen:
            return
        seen.add(n)
        s = shapes[n]
        for mm in s.get("members", {}).values():
            walk(mm["shape"])
        for k in ("member", "key", "value"):
            if k in s:
                walk(s[k]["shape"])
        order.append(n)

    roots = [ops[o]["input"]["shape"] for o in OPS]
    for r in roots:
        walk(r)
    order.sort()
    for key in list(LOCAL_OPTIONAL) + list(IGNORED) + list(UNSUPPORTED) + list(MEMBER_DOCS):
        if key[0] not in shapes or key[1] not in shapes[key[0]].get("members", {}):
            sys.exit("gen-shapes: annotation for unknown member %s.%s" % key)

    c = []
    h = []
    c.append("/*\n * shapes.c - SageMaker's input shapes for tunerd's operations, as tables\n"
             " * for schema.c. GENERATED by proto/gen-shapes.py from botocore's model\n"
             " * (API %s) and tunerd's annotations in that script; do not edit by\n"
             " * hand, change the script and regenerate. %d shapes.\n */\n" % (version, len(order)))
    c.append("#include <stddef.h>\n\n#include \"schema.h\"\n#include \"shapes.h\"\n")
    h.append("/*\n * shapes.h - every generated shape (see shapes.c), by botocore's name.\n"
             " * GENERATED by proto/gen-shapes.py; do not edit.\n */\n"
             "#ifndef TD_PROTO_SHAPES_H\n#define TD_PROTO_SHAPES_H\n\n#include <stddef.h>\n\n"
             "#include \"schema.h\"\n\n")
    for n in order:
        h.append("extern const struct proto_shape proto_shape_%s;\n" % n)
    h.append("\n/* All of the above, sorted by name. */\n"
             "extern const struct proto_shape *const proto_shapes_all[];\n"
             "extern const size_t proto_shapes_count;\n\n#endif\n")

    for n in order:
        s = shapes[n]
        if s["type"] not in KIND:
            sys.exit("gen-shapes: unsupported type %s of %s" % (s["type"], n))
        if "enum" in s:
            c.append("static const char *const en_%s[] = {\n%s\tNULL\n};\n" % (
                n, "".join("\t%s,\n" % cstr(v) for v in s["enum"])))
        if s.get("members"):
            req = set(s.get("required", []))
            lines = []
            for mn, mm in s["members"].items():
                key = (n, mn)
                flags = []
                doc = MEMBER_DOCS.get(key)
                if mn in req and key not in LOCAL_OPTIONAL:
                    flags.append("PROTO_REQUIRED")
                if key in LOCAL_OPTIONAL:
                    flags.append("PROTO_LOCAL_OPTIONAL")
                    doc = doc or LOCAL_OPTIONAL[key]
                if key in IGNORED:
                    flags.append("PROTO_IGNORED")
                if key in UNSUPPORTED:
                    flags.append("PROTO_UNSUPPORTED")
                    doc = doc or UNSUPPORTED[key]
                lines.append("\t{ %s, &proto_shape_%s, %s, %s },\n" % (
                    cstr(mn), mm["shape"], " | ".join(flags) or "0", cstr(doc)))
            c.append("static const struct proto_member mb_%s[] = {\n%s};\n" % (n, "".join(lines)))
    c.append("\n")
    for n in order:
        s = shapes[n]
        flags = []
        if "min" in s:
            flags.append("PROTO_HAS_MIN")
        if "max" in s:
            flags.append("PROTO_HAS_MAX")
        if s.get("union"):
            flags.append("PROTO_UNION")
        pat = PATTERN_OVERRIDE.get(n, s.get("pattern"))
        if pat is not None:
            pat = java_to_pcre(pat)
        f = [
            ".name = %s" % cstr(n),
            ".kind = %s" % KIND[s["type"]],
        ]
        if flags:
            f.append(".flags = %s" % " | ".join(flags))
        if "min" in s:
            f.append(".min = %s" % num(s["min"]))
        if "max" in s:
            f.append(".max = %s" % num(s["max"]))
        if pat is not None:
            f.append(".pattern = %s" % cstr(pat))
        if "enum" in s:
            f.append(".enums = en_%s" % n)
        if "members" in s:
            if s["members"]:
                f.append(".members = mb_%s" % n)
            f.append(".n_members = %d" % len(s["members"]))
        if "member" in s:
            f.append(".item = &proto_shape_%s" % s["member"]["shape"])
        if "value" in s:
            f.append(".item = &proto_shape_%s" % s["value"]["shape"])
        if "key" in s:
            f.append(".key = &proto_shape_%s" % s["key"]["shape"])
        if n in SHAPE_DOCS:
            f.append(".doc = %s" % cstr(SHAPE_DOCS[n]))
        c.append("const struct proto_shape proto_shape_%s = {\n%s};\n" % (
            n, "".join("\t%s,\n" % x for x in f)))
    c.append("\nconst struct proto_shape *const proto_shapes_all[] = {\n%s};\n" % "".join(
        "\t&proto_shape_%s,\n" % n for n in order))
    c.append("const size_t proto_shapes_count = %d;\n" % len(order))

    with open(outdir + "/shapes.c", "w") as f:
        f.write("".join(c))
    with open(outdir + "/shapes.h", "w") as f:
        f.write("".join(h))


if __name__ == "__main__":
    main()
