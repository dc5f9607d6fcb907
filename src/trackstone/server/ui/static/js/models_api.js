// Calls to the model registry's JSON API (MLflow's registry routes and Trackstone's extras).
import { AJAX, apiGet, apiSend } from "./api.js";

export const MODELS = `${AJAX}/registered-models`;
export const VERSIONS = `${AJAX}/model-versions`;
export const MONITORING = "/ajax-api/2.0/trackstone/model-versions";

export const getModel = async (name) => (await apiGet(`${MODELS}/get`, { name })).registered_model;
export const getVersion = async (name, version) =>
  (await apiGet(`${VERSIONS}/get`, { name, version })).model_version;

export const renameModel = (name, newName) => apiSend("POST", `${MODELS}/rename`, { name, new_name: newName });
export const deleteModel = (name) => apiSend("DELETE", `${MODELS}/delete`, { name });
export const describeModel = (name, description) =>
  apiSend("PATCH", `${MODELS}/update`, { name, description });
export const setModelTag = (name, key, value) => apiSend("POST", `${MODELS}/set-tag`, { name, key, value });
export const deleteModelTag = (name, key) => apiSend("DELETE", `${MODELS}/delete-tag`, { name, key });
export const setAlias = (name, alias, version) => apiSend("POST", `${MODELS}/alias`, { name, alias, version });
export const deleteAlias = (name, alias) => apiSend("DELETE", `${MODELS}/alias`, { name, alias });

export const describeVersion = (name, version, description) =>
  apiSend("PATCH", `${VERSIONS}/update`, { name, version, description });
export const deleteVersion = (name, version) => apiSend("DELETE", `${VERSIONS}/delete`, { name, version });
export const setVersionTag = (name, version, key, value) =>
  apiSend("POST", `${VERSIONS}/set-tag`, { name, version, key, value });
export const deleteVersionTag = (name, version, key) =>
  apiSend("DELETE", `${VERSIONS}/delete-tag`, { name, version, key });
export const transitionStage = (name, version, stage, archiveExisting) =>
  apiSend("POST", `${VERSIONS}/transition-stage`, {
    name,
    version,
    stage,
    archive_existing_versions: archiveExisting,
  });

/** The URL of a model's page, of one of its versions' pages, or of a run's page. */
export const modelUrl = (name) => `/models/${encodeURIComponent(name)}`;
export const versionUrl = (name, version) => `${modelUrl(name)}/versions/${encodeURIComponent(version)}`;
export const runUrl = (runId) => `/runs/${encodeURIComponent(runId)}`;
