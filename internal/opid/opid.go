// Package opid names the operations of api/openapi.yaml by their operationId, exactly as the spec spells
// them, so that the client, the stand-in server and the conformance suite cite each operation the same
// way (in errors, logs and reports). The spec's tests check that this list and the spec agree.
package opid

// Datasets (the batch flow).
const (
	// DatasetGetList is GET /Dataset: one page of datasets, 100 a page, alphabetical.
	DatasetGetList = "Dataset_GetList"
	// DatasetCreate is POST /Dataset: create an input dataset.
	DatasetCreate = "Dataset_Create"
	// DatasetGetByName is GET /Dataset/{name}: a dataset's full details.
	DatasetGetByName = "Dataset_GetByName"
	// DatasetUpdateByName is PUT /Dataset/{name}: mark an input dataset complete.
	DatasetUpdateByName = "Dataset_UpdateByName"
	// DatasetUploadBlock is PATCH /Dataset/{name}/data: upload one block of at most 1,000 records.
	DatasetUploadBlock = "Dataset_UploadBlock"
	// DatasetGetData is GET /Dataset/{name}/data: one page of a dataset's records.
	DatasetGetData = "Dataset_GetData"
)

// Jobs.
const (
	// JobGetList is GET /Job: one page of submitted jobs, most recent first.
	JobGetList = "Job_GetList"
	// JobCreateJob is POST /Job: start a job on a workflow.
	JobCreateJob = "Job_CreateJob"
	// JobGetByName is GET /Job/{name}: a job's full details.
	JobGetByName = "Job_GetByName"
)

// Account administration.
const (
	// ApiKeyGetList is GET /ApiKey: every API key of the account.
	ApiKeyGetList = "ApiKey_GetList"
	// ApiKeyCreateApiKey is POST /ApiKey: create an API key.
	ApiKeyCreateApiKey = "ApiKey_CreateApiKey"
	// ApiKeyGetByKey is GET /ApiKey/{key}: one API key.
	ApiKeyGetByKey = "ApiKey_GetByKey"
	// ApiKeyUpdateByKey is PUT /ApiKey/{key}: update an API key.
	ApiKeyUpdateByKey = "ApiKey_UpdateByKey"
	// ApiKeyDeleteByKey is DELETE /ApiKey/{key}: delete an API key.
	ApiKeyDeleteByKey = "ApiKey_DeleteByKey"
	// ApiKeyAddAllowedDomain is PUT /ApiKey/{key}/allowedDomains/{domain}: allow a domain.
	ApiKeyAddAllowedDomain = "ApiKey_AddAllowedDomain"
	// ApiKeyAddAllowedIPPUT is PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: allow a subnet.
	ApiKeyAddAllowedIPPUT = "ApiKey_AddAllowedIPPUT"
	// ClientCredentialGetList is GET /ClientCredential: the account's OAuth clients.
	ClientCredentialGetList = "ClientCredential_GetList"
	// ClientCredentialCreate is POST /ClientCredential: create an OAuth client.
	ClientCredentialCreate = "ClientCredential_Create"
	// ClientCredentialGetById is GET /ClientCredential/{id}: one OAuth client.
	ClientCredentialGetById = "ClientCredential_GetById"
)

// All lists every operation id of the spec, in the spec's order.
func All() []string {
	return []string{
		DatasetGetList, DatasetCreate, DatasetGetByName, DatasetUpdateByName, DatasetUploadBlock, DatasetGetData,
		JobGetList, JobCreateJob, JobGetByName,
		ApiKeyGetList, ApiKeyCreateApiKey, ApiKeyGetByKey, ApiKeyUpdateByKey, ApiKeyDeleteByKey,
		ApiKeyAddAllowedDomain, ApiKeyAddAllowedIPPUT,
		ClientCredentialGetList, ClientCredentialCreate, ClientCredentialGetById,
	}
}
