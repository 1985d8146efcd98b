package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/standin"
)

// caughtBy names, for each mutation of data8test, exactly the deterministic cases that must fail
// against a server with it: the cases whose rule the mutation breaks (JobReopensInput breaks every
// case that starts a job on the shared input after the first job ran). MODEL-SEQUENCES, whose
// random sequences may or may not meet the mutation, is not among them.
func caughtBy() map[standin.Mutation][]string {
	return map[standin.Mutation][]string{
		standin.Accept1001Records:            {"UPLOAD-MAX-1000", "UPLOAD-REFUSED-KEEPS-DATA"},
		standin.AppendInsteadOfOverwrite:     {"UPLOAD-OVERWRITE", "UPLOAD-OVERWRITE-FULL", "UPLOAD-CONCURRENT", "UPLOAD-COMPLETE-RACE", "SCALE-UPLOAD-ORDER"},
		standin.IgnoreBlockOrder:             {"UPLOAD-ORDER", "JOB-OUTPUT-BLOCKS", "RECORDS-TEXT"},
		standin.AcceptUploadToCompleted:      {"UPLOAD-COMPLETED-400", "DATASET-STATE-RULES", "JOB-INPUT-UNCHANGED", "UPLOAD-COMPLETE-RACE"},
		standin.SkipAuth:                     {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.UnsortedDatasetList:          {"DATASET-LIST-ALPHA-100"},
		standin.DatasetNameTrailingNewline:   {"DATASET-NAME-PATTERN"},
		standin.ColumnNameUnicodeLetters:     {"DATASET-COLUMN-NAME-PATTERN"},
		standin.JobNameLastCharUnchecked:     {"JOB-NAME-CHARS"},
		standin.JobNameTrimmed:               {"JOB-NAME-SPACES"},
		standin.DatasetUniqueAmongInputs:     {"DATASET-UNIQUE-EVERY-KIND"},
		standin.JobUniqueAmongFinished:       {"JOB-UNIQUE-UNFINISHED"},
		standin.CreateTakesCompleted:         {"DATASET-CREATE-IGNORES-STATE"},
		standin.OverwriteCompleted:           {"DATASET-STATE-RULES"},
		standin.UploadToIncompleteOutput:     {"DATASET-STATE-RULES"},
		standin.JobTakesEmptyIncompleteInput: {"JOB-NEEDS-COMPLETE-INPUT"},
		standin.JobReopensInput: {"JOB-NAME-SPACES", "JOB-LIST-RECENT-FIRST", "JOB-LIST-PAGE-100", "JOB-LIST-FILTERS",
			"DATASET-UNIQUE-EVERY-KIND", "JOB-UNIQUE-UNFINISHED", "JOB-INPUT-UNCHANGED"},
		standin.BlockOrderAsText:                {"UPLOAD-ORDER", "UPLOAD-CONCURRENT", "SCALE-UPLOAD-ORDER", "JOB-OUTPUT-BLOCKS", "RECORDS-TEXT", "SCALE-CLIENT-JOB"},
		standin.ConcurrentUploadLost:            {"UPLOAD-CONCURRENT", "SCALE-UPLOAD-ORDER"},
		standin.OverwriteCountsOldRecords:       {"UPLOAD-OVERWRITE-FULL", "SCALE-UPLOAD-ORDER"},
		standin.JobInputWholeThousands:          {"JOB-OUTPUT-BLOCKS", "SCALE-CLIENT-JOB"},
		standin.IncludeOutputIgnored:            {"DATASET-LIST-FLAGS"},
		standin.JobListEndDateIgnored:           {"JOB-LIST-FILTERS"},
		standin.AllowedIPPrefixIgnored:          {"APIKEY-ALLOWED-IP"},
		standin.AllowedDomainReplaces:           {"APIKEY-ALLOWED-DOMAIN"},
		standin.BlockDropsEqualRecords:          {"UPLOAD-ORDER"},
		standin.JobUniqueFirstPage:              {"JOB-LIST-PAGE-100"},
		standin.JobListFilterAfterPaging:        {"JOB-LIST-PAGE-100"},
		standin.OutputLocationWrong:             {"DATASET-LIST-LOCATION", "DATASET-LIST-ALPHA-100", "DATASET-LIST-FLAGS", "DATASET-LIST-PAGING", "JOB-NEEDS-COMPLETE-INPUT", "JOB-OUTPUTS-DISTINCT", "JOB-UNKNOWN-INPUT"}, // each reads a list page with an output dataset (a whole run: DATASET-STATE-RULES too)
		standin.GivenAPIKeyIgnored:              {"APIKEY-CREATE"},
		standin.DeletedKeyListed:                {"APIKEY-DELETE"},
		standin.JobSkipsGapBlocks:               {"JOB-OUTPUT-BLOCKS", "RECORDS-TEXT"},
		standin.BlockNumberInt16:                {"UPLOAD-ORDER"},
		standin.DatasetCreateRace:               {"DATASET-UNIQUE"},
		standin.JobNameASCIIOnly:                {"JOB-NAME-SPACES"},
		standin.JobInputFilenameLost:            {"JOB-NAME-SPACES"},
		standin.DatasetListPageSkipsOne:         {"DATASET-LIST-ALPHA-100"},
		standin.ClientListSkipsOldest:           {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.JobCreateRace:                   {"JOB-UNIQUE"},
		standin.APIKeyListFirst100:              {"SCALE-APIKEY-LIST"},
		standin.KeyUpdateClearsAllowed:          {"APIKEY-UPDATE"},
		standin.KeyUpdateIgnoresLimit:           {"APIKEY-UPDATE"},
		standin.DomainLeaksToPreviousKey:        {"APIKEY-ALLOWED-DOMAIN"},
		standin.AllowedIPv6Refused:              {"APIKEY-ALLOWED-IP", "APIKEY-ALLOWED-IP-CIDR"},
		standin.ClientDescriptionLost:           {"CLIENTCRED-CREATE", "CLIENTCRED-LIST-NO-SECRETS"},
		standin.KeyUsernameLost:                 {"APIKEY-CREATE"},
		standin.KeyUpdateDescriptionNotStored:   {"APIKEY-UPDATE"},
		standin.CompleteRace:                    {"DATASET-COMPLETE-TWICE-400"},
		standin.UploadStoredAfterComplete:       {"UPLOAD-COMPLETE-RACE"},
		standin.SameBlockRaceAppends:            {"UPLOAD-CONCURRENT"},
		standin.JobsShareOutput:                 {"JOB-OUTPUTS-DISTINCT"},
		standin.FailedJobReservesName:           {"JOB-NEEDS-COMPLETE-INPUT", "JOB-UNKNOWN-WORKFLOW", "JOB-UNKNOWN-INPUT"},
		standin.FailedUploadClearsBlock:         {"UPLOAD-REFUSED-KEEPS-DATA"},
		standin.BlockTableCap128:                {"UPLOAD-MANY-BLOCKS"},
		standin.FailedCreateReservesName:        {"DATASET-COLUMN-NAME-PATTERN"},
		standin.JobBlockOrderAsText:             {"JOB-OUTPUT-BLOCKS", "RECORDS-TEXT", "SCALE-CLIENT-JOB"},
		standin.JobPathPlusAsSpace:              {"JOB-NAME-SPACES", "JOB-NAME-LONG", "SCALE-SHORT-NAMES"},
		standin.JobNameBMPOnly:                  {"JOB-NAME-SPACES"},
		standin.JobNameCheckFirst64:             {"JOB-NAME-CHARS"},
		standin.JobNameCut100:                   {"JOB-NAME-LONG"},
		standin.DatasetNameOneCharRefused:       {"SCALE-SHORT-NAMES"},
		standin.RecordTextBMPOnly:               {"RECORDS-TEXT"},
		standin.RecordLineBreaksToSpace:         {"RECORDS-TEXT"},
		standin.JobListNameCut64:                {"JOB-NAME-SPACES", "JOB-NAME-LONG"},
		standin.DatasetNameCheckFirst64:         {"DATASET-NAME-PATTERN"},
		standin.ColumnNameCheckFirst64:          {"DATASET-COLUMN-NAME-PATTERN"},
		standin.DatasetNameCut100:               {"DATASET-NAME-PATTERN"},
		standin.JobParametersBMPOnly:            {"JOB-NAME-SPACES"},
		standin.CompleteEmptyRefused:            {"DATASET-COMPLETE"},
		standin.HeadSkipsAuth:                   {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.TokenMatchedButLast:             {"AUTH-BAD-TOKEN-401"},
		standin.GivenAPIKeyUppercased:           {"APIKEY-CREATE"},
		standin.DeletedKeyReserved:              {"APIKEY-CREATE"},
		standin.KeyUpdateUpserts:                {"APIKEY-404"},
		standin.ConcurrentKeyCreateDup:          {"APIKEY-CREATE"},
		standin.ConcurrentDomainLost:            {"APIKEY-ALLOWED-DOMAIN"},
		standin.ClientCredListedAsKey:           {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.KeyExpiryOffsetDropped:          {"APIKEY-UPDATE"},
		standin.RecordEmptyStringNull:           {"RECORDS-TEXT"},
		standin.RecordNumbersAsFloat32:          {"RECORDS-TEXT"},
		standin.JobInputDistinct:                {"RECORDS-TEXT"},
		standin.ColumnsCap64:                    {"DATASET-MANY-COLUMNS"},
		standin.EmptyBlockKeepsOld:              {"UPLOAD-GAPS-EMPTY"},
		standin.JobListEndDateExclusive:         {"JOB-LIST-FILTERS"},
		standin.ColumnCodeClamped:               {"DATASET-COLUMN-CODES", "DATASET-MANY-COLUMNS"},
		standin.DatasetListClampLastPage:        {"DATASET-LIST-PAGING"},
		standin.JobNameCheckToNUL:               {"JOB-NAME-CHARS"},
		standin.JobNameTrailingSpacesEqual:      {"JOB-NAME-SPACES"},
		standin.JobLookupIgnoresCase:            {"JOB-NAME-SPACES"},
		standin.JobUniqueIgnoresRunning:         {"JOB-UNIQUE-UNFINISHED"},
		standin.JobTakesIncompleteOutput:        {"JOB-NEEDS-COMPLETE-INPUT"},
		standin.FailedJobLeavesOutput:           {"JOB-NEEDS-COMPLETE-INPUT", "JOB-UNKNOWN-INPUT"},
		standin.JobEmptyInputNoOutput:           {"JOB-NEEDS-COMPLETE-INPUT"},
		standin.JobListPagesFromOldest:          {"JOB-LIST-PAGE-100"},
		standin.JobListClampLastPage:            {"JOB-LIST-PAGE-100"},
		standin.JobListWorkflowIgnoredWithDates: {"JOB-LIST-FILTERS"},
		standin.JobListDatesIgnoredWithWorkflow: {"JOB-LIST-FILTERS"},
		standin.JobListWorkflowPrefix:           {"JOB-LIST-FILTERS"},
		standin.JobListDateOffsetDropped:        {"JOB-LIST-FILTERS"},
		standin.JobListLosesConcurrent:          {"JOB-LIST-PAGE-100"},
		standin.JobNameTakenByDataset:           {"JOB-UNIQUE"},
		standin.JobListWorkflowExistsOnly:       {"JOB-LIST-FILTERS"},
		standin.JobGetPrefixMatch:               {"JOB-404"},
		standin.JobUniquePerWorkflow:            {"JOB-LIST-FILTERS"},
		standin.JobDropsNullRecords:             {"JOB-OUTPUT-SPARSE"},
		standin.JobStopsAtEmptyBlock:            {"JOB-OUTPUT-SPARSE"},
		standin.TrailingSlashSkipsAuth:          {"AUTH-NO-TOKEN-401"},
		standin.PathCaseSkipsAuth:               {"AUTH-NO-TOKEN-401"},
		standin.QueryTokenAccepted:              {"AUTH-NO-TOKEN-401"},
		standin.AuthSchemeIgnored:               {"AUTH-BAD-TOKEN-401"},
		standin.TokenCaseFolded:                 {"AUTH-BAD-TOKEN-401"},
		standin.CIDRRouteSkipsAuth:              {"AUTH-NO-TOKEN-401"},
		standin.AuthAfterValidation:             {"AUTH-NO-TOKEN-401"},
		standin.OptionsServesGet:                {"AUTH-NO-TOKEN-401"},
		standin.ClientSecretMatchedButLast:      {"AUTH-TOKEN-WRONG-CLIENT"},
		standin.BasicSecretUnchecked:            {"AUTH-TOKEN-WRONG-CLIENT"},
		standin.OtherScopeAccepted:              {"AUTH-TOKEN-SCOPE"},
		standin.DeletedKeyWritable:              {"APIKEY-DELETE"},
		standin.RecreatedKeyKeepsOld:            {"APIKEY-CREATE"},
		standin.FailedKeyCreateOverwrites:       {"APIKEY-CREATE"},
		standin.DomainAddToggles:                {"APIKEY-ALLOWED-DOMAIN"},
		standin.ConcurrentIPLost:                {"APIKEY-ALLOWED-IP"},
		standin.KeyListedAsClientCred:           {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.KeyLookupFindsClient:            {"APIKEY-404"},
		standin.ConcurrentGeneratedKeyDup:       {"APIKEY-LIST"},
		standin.ConcurrentClientIDDup:           {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.KeyDescriptionBMPOnly:           {"APIKEY-CREATE"},
		standin.ClientDescriptionHTMLEscaped:    {"CLIENTCRED-CREATE", "CLIENTCRED-LIST-NO-SECRETS"},
		standin.CreateExpiryOffsetDropped:       {"APIKEY-CREATE"},
		standin.CIDRUnknownKeyOK:                {"APIKEY-DELETE", "APIKEY-404"},
		standin.DatasetNameUnderscoreWildcard:   {"DATASET-UNIQUE"},
		standin.ColumnNameCompatFolded:          {"DATASET-COLUMN-NAME-PATTERN"},
		standin.ColumnCodeByte:                  {"DATASET-COLUMN-CODES"},
		standin.RefusedCompleteStoresCount:      {"DATASET-STATE-RULES", "DATASET-COMPLETE-OUTPUT-400"},
		standin.OutputInputUntilFinished:        {"DATASET-STATE-RULES"},
		standin.CompletedEmptyTakesBlocks:       {"DATASET-COMPLETE"},
		standin.RecordBooleansAsNumbers:         {"RECORDS-TEXT"},
		standin.RecordNullAsText:                {"RECORDS-TEXT"},
		standin.RecordNumericTextAsNumber:       {"RECORDS-TEXT"},
		standin.CompleteLeavesStaleDetails:      {"DATASET-COMPLETE"},
		standin.ColumnIDOverwritten:             {"DATASET-COLUMN-NAME-PATTERN"},
		standin.DatasetUniqueFirstPage:          {"DATASET-LIST-ALPHA-100"},
		standin.ListFlagsFirstPageOnly:          {"DATASET-LIST-ALPHA-100"},
		standin.CompleteInfersColumnCodes:       {"DATASET-COMPLETE"},
		standin.FirstBlockUncapped:              {"UPLOAD-MAX-1000"},
		standin.UniqueCollapsesUnderscores:      {"DATASET-UNIQUE"},
		standin.DatasetLookupCaseInsensitive:    {"DATASET-404"},
		standin.DatasetPathTrimmed:              {"DATASET-404"},
		standin.BasicClientCredentialsAccepted:  {"AUTH-BAD-TOKEN-401"},
		standin.DatasetLookupPrefix:             {"DATASET-404"},
		standin.ClientCredentialUnknownFirst:    {"CLIENTCRED-404"},
		standin.DomainSuffixDeduplicated:        {"APIKEY-ALLOWED-DOMAIN"},
		standin.IPShortPrefixRefused:            {"APIKEY-ALLOWED-IP"},
		standin.KeyUpdatePartialOnRefusal:       {"APIKEY-UPDATE"},
		standin.KeyLookupPrefix:                 {"APIKEY-404"},
		standin.KeyLimitInt16:                   {"APIKEY-UPDATE"},
		standin.KeyExpiryUnix32:                 {"APIKEY-UPDATE"},
		standin.KeyExpiryUKLocal:                {"APIKEY-UPDATE"},
		standin.KeyUsernameLowercased:           {"APIKEY-CREATE", "APIKEY-UPDATE"},
		standin.KeyUpdateEmptyKeepsOld:          {"APIKEY-UPDATE"},
		standin.DomainHyphenRefused:             {"APIKEY-ALLOWED-DOMAIN"},
		standin.DomainCut100:                    {"APIKEY-ALLOWED-DOMAIN"},
		standin.IPHostBitsAsHost:                {"APIKEY-ALLOWED-IP"},
		standin.IPv6UpperHexRefused:             {"APIKEY-ALLOWED-IP"},
		standin.RecordControlCharsStripped:      {"RECORDS-TEXT"},
		standin.RecordBOMStripped:               {"RECORDS-TEXT"},
		standin.RecordLineSeparatorsToSpace:     {"RECORDS-TEXT"},
		standin.KeyDescriptionCut255:            {"APIKEY-UPDATE"},
		standin.ColumnCodeFloat32:               {"DATASET-COLUMN-CODES"},
		standin.IPMappedPrefixClamped:           {"APIKEY-ALLOWED-IP"},
		standin.DomainUpperCaseRefused:          {"APIKEY-ALLOWED-DOMAIN"},
		standin.JobLookupLike:                   {"JOB-404"},
		standin.KeyLookupLike:                   {"APIKEY-404"},
		standin.DataReadIgnoresCase:             {"DATASET-404"},
		standin.DatasetLookupCompatFolded:       {"DATASET-404", "DATASET-LIST-ALPHA-100"},
		standin.ClientLookupFindsKey:            {"CLIENTCRED-404"},
		standin.JobOutputNameReused:             {"JOB-OUTPUTS-DISTINCT"},
		standin.JobUniqueBySlug:                 {"JOB-OUTPUTS-DISTINCT"},
		standin.JobLookupNormalized:             {"JOB-NAME-SPACES"},
		standin.KeyLookupIgnoresCase:            {"APIKEY-CREATE"},
		standin.KeyDeleteByPrefix:               {"APIKEY-CREATE"},
		standin.DatasetNameTakenByJob:           {"JOB-UNIQUE"},
		standin.DatasetUniqueFirst64:            {"DATASET-NAME-PATTERN"},
		standin.JobListWorkflowLike:             {"JOB-LIST-FILTERS"},
		standin.KeyUpdateByPrefix:               {"APIKEY-CREATE"},
		standin.ColumnSQLKeywordRefused:         {"DATASET-COLUMN-NAME-PATTERN"},
		standin.CompleteFalseReopens:            {"DATASET-STATE-RULES"},
		standin.ColumnCodeUnsigned:              {"DATASET-COLUMN-CODES"},
		standin.UploadsShareTarget:              {"UPLOAD-CONCURRENT"},
		standin.ColumnCodesSortedMismatch:       {"DATASET-COLUMN-NAME-PATTERN", "DATASET-COLUMN-CODES", "DATASET-MANY-COLUMNS", "DATASET-COMPLETE", "DATASET-COMPLETE-TWICE-400", "DATASET-COMPLETE-COUNT", "UPLOAD-MAX-1000", "UPLOAD-OVERWRITE", "UPLOAD-ORDER", "UPLOAD-GAPS-EMPTY", "UPLOAD-BAD-BLOCKNUMBER", "UPLOAD-NON-OBJECT-RECORD", "UPLOAD-UNKNOWN-COLUMN", "UPLOAD-BAD-VALUE", "RECORDS-SCALARS", "DATA-READ", "JOB-OUTPUT-SPARSE", "JOB-NEEDS-COMPLETE-INPUT", "DATASET-UNIQUE-EVERY-KIND", "JOB-OUTPUT-BLOCKS", "UPLOAD-OVERWRITE-FULL", "UPLOAD-CONCURRENT", "UPLOAD-COMPLETE-RACE", "UPLOAD-REFUSED-KEEPS-DATA", "UPLOAD-MANY-BLOCKS"},
		standin.BlockOrderKeyInt32:              {"UPLOAD-MANY-BLOCKS", "JOB-OUTPUT-SPARSE"},
		standin.UploadSchemaLastCreated:         {"UPLOAD-MANY-BLOCKS"},
		standin.JobReads100Blocks:               {"UPLOAD-MANY-BLOCKS"},
		standin.DatasetListCached:               {"JOB-OUTPUTS-DISTINCT"},
		standin.ClientListCached:                {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.DuplicateJobReplacesParameters:  {"JOB-UNIQUE"},
		standin.ConcurrentKeyUpdateLost:         {"APIKEY-UPDATE"},
		standin.NewKeyTakesDeletedSlot:          {"APIKEY-CREATE"},
		standin.KeyListStaleAfterUpdate:         {"APIKEY-UPDATE"},
		standin.RefusedKeyCreateStored:          {"APIKEY-CREATE"},
		standin.DomainAddDropsConcurrentIP:      {"APIKEY-UPDATE"},
		standin.UpdateDropsConcurrentDomain:     {"APIKEY-UPDATE"},
		standin.JobParametersLastStarted:        {"JOB-NAME-SPACES"},
		standin.RefusedJobListed:                {"JOB-NEEDS-COMPLETE-INPUT"},
		standin.DatasetListCacheIgnoresFlags:    {"DATASET-LIST-FLAGS"},
		standin.OutputNamedByInput:              {"JOB-OUTPUTS-DISTINCT"},
		standin.RefusedCreateListed:             {"DATASET-COLUMN-NAME-PATTERN"},
		standin.ConcurrentDeleteLosesCreate:     {"APIKEY-LIST"},
		standin.CookieTokenAccepted:             {"AUTH-NO-TOKEN-401"},
		standin.HeaderTokenAccepted:             {"AUTH-NO-TOKEN-401"},
		standin.QueryTokenOtherName:             {"AUTH-NO-TOKEN-401"},
		standin.BearerExtraWordsIgnored:         {"AUTH-BAD-TOKEN-401"},
		standin.GrantTypeUnchecked:              {"AUTH-TOKEN-GRANT-TYPE"},
		standin.ScopeCaseFolded:                 {"AUTH-TOKEN-SCOPE"},
		standin.SecretMissingAccepted:           {"AUTH-TOKEN-WRONG-CLIENT"},
		standin.ClientFoundBySecret:             {"AUTH-TOKEN-WRONG-CLIENT"},
		standin.EncodedPathSkipsAuth:            {"AUTH-NO-TOKEN-401"},
		standin.DotSegmentSkipsAuth:             {"AUTH-NO-TOKEN-401"},
		standin.OtherVerbServesGet:              {"AUTH-NO-TOKEN-401"},
		standin.ProblemStatusFixed:              {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401", "CLIENTCRED-404"},
		standin.JSONCharsetRefused:              {"BODY-JSON-CHARSET"},
		standin.WriteTokenMatchedButLast:        {"AUTH-BAD-TOKEN-401"},
		standin.CachedReadSkipsAuth:             {"AUTH-NO-TOKEN-401"},
		standin.RefusedCreateApplied:            {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.OriginalURLRouted:               {"AUTH-NO-TOKEN-401"},
		standin.LaterPageSkipsAuth:              {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.CompleteAnswersOld: {"DATASET-COMPLETE", "DATASET-COMPLETE-TWICE-400", "UPLOAD-COMPLETED-400", "RECORDS-TEXT", "JOB-OUTPUT-SPARSE",
			"JOB-NEEDS-COMPLETE-INPUT", "DATASET-UNIQUE-EVERY-KIND", "DATASET-STATE-RULES", "JOB-OUTPUT-BLOCKS", "UPLOAD-REFUSED-KEEPS-DATA",
			"UPLOAD-MANY-BLOCKS", "JOB-OUTPUTS-DISTINCT", "SCALE-UPLOAD-ORDER"},
		standin.JobPathDoubleDecode:      {"JOB-NAME-SPACES"},
		standin.SubnetUniqueAcrossKeys:   {"APIKEY-ALLOWED-IP"},
		standin.DomainUniqueAcrossKeys:   {"APIKEY-ALLOWED-DOMAIN"},
		standin.KeyFoundByDescription:    {"APIKEY-LIST"},
		standin.ClientFoundByDescription: {"CLIENTCRED-LIST-NO-SECRETS"},
		standin.ClientListFirst25:        {"SCALE-CLIENTCRED-LIST"},
		// APIKEY-LIST makes the third key generated: in a whole run the second key (after the shared
		// key and the one generated after a delete), alone the key it deletes as others are created.
		standin.ThirdGeneratedKeyLowerCase:  {"APIKEY-LIST"},
		standin.ClientReadNewestDescription: {"CLIENTCRED-LIST-NO-SECRETS", "SCALE-CLIENTCRED-LIST"},
		// Every case that reads page 2 of the dataset list once DATASET-LIST-ALPHA-100's 101 datasets
		// exist (in a whole run, with more datasets, JOB-OUTPUTS-DISTINCT's lists reach page 2 too).
		standin.LaterPageLocationWrong:    {"DATASET-LIST-ALPHA-100", "DATASET-LIST-PAGING", "DATASET-LIST-FLAGS", "DATASET-LIST-LOCATION", "DATASET-STATE-RULES"},
		standin.JobListFilterSkipsAuth:    {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.RefusedCompleteHoldsInput: {"DATASET-COMPLETE-TWICE-400", "DATASET-STATE-RULES", "SCALE-JOB-FULL-PAGES"},
		standin.RefusedJobHoldsInput:      {"JOB-NEEDS-COMPLETE-INPUT"},
		standin.JobInputLastFullPageLost:  {"DATASET-STATE-RULES", "SCALE-JOB-FULL-PAGES"},
		standin.DataReadLastFullPageLost:  {"DATASET-STATE-RULES", "SCALE-JOB-FULL-PAGES"},
		standin.CaseTwinRenamesJob:        {"JOB-NAME-SPACES"},
		// Every case that deletes a key it made reads it back right after.
		standin.DeletedKeyReadable:               {"APIKEY-CREATE", "APIKEY-DELETE", "BODY-JSON-CHARSET", "SCALE-APIKEY-LIST"},
		standin.UnknownColumnFirstRecordOnly:     {"UPLOAD-UNKNOWN-COLUMN"},
		standin.JobUnknownInputAccepted:          {"JOB-UNKNOWN-INPUT"},
		standin.CaseTwinTakenUnfound:             {"JOB-NAME-SPACES"},
		standin.CompletedBeforeSubmitted:         {"JOB-FINISHED-RULE"},
		standin.JobNameBackslashAccepted:         {"JOB-NAME-CHARS"},
		standin.EmptyGivenKeyStored:              {"APIKEY-CREATE"},
		standin.ExpiredKeysUnlisted:              {"APIKEY-LIST"},
		standin.SameNetworkSubnetReplaces:        {"APIKEY-ALLOWED-IP"},
		standin.GivenClientIDTaken:               {"CLIENTCRED-CREATE"},
		standin.TokenFormCharsetRefused:          {"AUTH-TOKEN"},
		standin.LaterListPagesNotFound:           {"JOB-LIST-PAGE-100", "DATASET-LIST-ALPHA-100", "DATASET-LIST-PAGING", "DATASET-LIST-FLAGS", "DATASET-LIST-LOCATION", "DATASET-STATE-RULES"},
		standin.TokenFormOnlyChecked:             {"AUTH-BAD-TOKEN-401"},
		standin.APIKeyDotSuffixDropped:           {"APIKEY-CREATE"},
		standin.JobDotSuffixDropped:              {"JOB-NAME-SPACES"},
		standin.ClientWithoutDescriptionUnlisted: {"NEGATIVE-BODIES"},
		standin.LaterDataPagesNotFound:           {"UPLOAD-MAX-1000", "JOB-OUTPUT-BLOCKS", "UPLOAD-OVERWRITE-FULL", "SCALE-UPLOAD-ORDER", "SCALE-CLIENT-JOB", "SCALE-JOB-FULL-PAGES"},
	}
}

// mutationOptions are the server options a mutation's run needs besides the mutation: the rules
// that concern unfinished jobs (queued, then running) need jobs that stay unfinished for a while.
func mutationOptions(m standin.Mutation) []data8test.Option {
	switch m {
	case standin.JobUniqueAmongFinished, standin.UploadToIncompleteOutput, standin.JobUniqueIgnoresRunning, standin.JobTakesIncompleteOutput,
		standin.OutputInputUntilFinished:
		return []data8test.Option{data8test.WithJobDuration(400 * time.Millisecond)}
	}
	return nil
}

// scaleMutations are the mutations whose runs include the scale tier (each run of it costs a few
// seconds); the other runs skip it, and the SCALE cases are not expected to catch them.
var scaleMutations = []standin.Mutation{
	standin.BlockOrderAsText, standin.ConcurrentUploadLost, standin.OverwriteCountsOldRecords, standin.JobInputWholeThousands,
	standin.APIKeyListFirst100, standin.ClientListFirst25,
	standin.JobBlockOrderAsText, standin.DatasetNameOneCharRefused, standin.JobPathPlusAsSpace,
	standin.ClientReadNewestDescription,
	standin.RefusedCompleteHoldsInput, standin.JobInputLastFullPageLost, standin.DataReadLastFullPageLost, standin.DeletedKeyReadable,
}

// profiledMutations are the mutations also run under every profile at once (each costs a run of
// the suite, so not all of them): a profile's differences must be observed, never a reason to
// miss a broken documented rule.
var profiledMutations = []standin.Mutation{
	standin.Accept1001Records, standin.IgnoreBlockOrder, standin.SkipAuth, standin.UnsortedDatasetList,
	standin.DatasetNameTrailingNewline, standin.OverwriteCountsOldRecords, standin.IncludeOutputIgnored,
	standin.JobListEndDateIgnored,
}

// TestMutations runs the cases that state a documented rule against a data8test server that breaks
// that rule on purpose, for every mutation data8test has, and checks that each of them fails. It
// also runs the whole suite, scale tier included, against the unmutated server, which must pass.
func TestMutations(t *testing.T) {
	want := caughtBy()
	for _, m := range standin.Mutations() {
		if _, ok := want[m]; !ok {
			t.Errorf("mutation %s has no expected case: add it to caughtBy", m)
		}
	}

	t.Run("none", func(t *testing.T) {
		t.Parallel()
		cfg := inProcess(t, data8test.WithValidation(t))
		cfg.Scale = true
		rep := runConfig(t, cfg)
		if n := rep.Counts(); n[conformance.Skipped] != 0 || n[conformance.Passed] < 30 || n[conformance.Passed]+n[conformance.Observed] != len(rep.Cases) {
			t.Errorf("against the unmutated server every case must run: %s", rep.Summary())
		}
		if failed := rep.Failed(); len(failed) > 0 {
			for _, id := range failed {
				t.Errorf("%s failed against the unmutated server: %s", id, strings.Join(rep.Case(id).Failures, "; "))
			}
		}
	})
	if raceDetector {
		// The suite's code under the race detector: the run above; `make test` runs the mutations
		// again without it, where their number costs a tenth of the time.
		return
	}
	// Each mutation alone, and each under every profile at once: a profile's differences are
	// observed, never a reason to miss a broken documented rule.
	type run struct {
		m     standin.Mutation
		label string
		opts  []data8test.Option
		rep   *conformance.Report
		err   error
	}
	var runs []*run
	for _, m := range standin.Mutations() {
		// No Validate: a mutated server may well answer what the spec forbids, and judging that
		// is the suite's job, through its own checking transport.
		opts := append([]data8test.Option{standin.WithMutation(m)}, mutationOptions(m)...)
		runs = append(runs, &run{m: m, label: m.String(), opts: opts})
		if slices.Contains(profiledMutations, m) {
			runs = append(runs, &run{m: m, label: m.String() + "+all-profiles", opts: append(slices.Clone(opts), data8test.WithProfile(data8test.Profiles()...))})
		}
	}
	concurrently(len(runs), 6, func(i int) {
		r := runs[i]
		cfg := inProcess(t, r.opts...)
		cfg.Scale = slices.Contains(scaleMutations, r.m) && !strings.HasSuffix(r.label, "+all-profiles")
		// Only the cases that must catch the mutation run: that no other case fails against it is
		// data8test's own mutation test (each mutation breaks its one rule); that none fails against
		// a valid server is TestProfiles' and the run "none" here.
		for _, c := range conformance.Cases() {
			if !slices.Contains(want[r.m], c.ID) {
				cfg.Skip = append(cfg.Skip, c.ID)
			}
		}
		r.rep, r.err = conformance.Run(context.Background(), cfg)
	})
	for _, r := range runs {
		t.Run(r.label, func(t *testing.T) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			rep := r.rep
			failed := rep.Failed()
			exp := slices.Sorted(slices.Values(want[r.m]))
			if !slices.Contains(scaleMutations, r.m) || strings.HasSuffix(r.label, "+all-profiles") {
				exp = slices.DeleteFunc(exp, func(id string) bool { return strings.HasPrefix(id, "SCALE-") })
			}
			got := slices.Sorted(slices.Values(failed))
			if !slices.Equal(got, exp) {
				for _, id := range failed {
					t.Logf("%s failed: %s", id, strings.Join(rep.Case(id).Failures, "; "))
				}
				t.Fatalf("against a server with %s the suite failed %v; want exactly %v", r.label, got, exp)
			}
			for _, id := range exp {
				t.Logf("%s caught by %s: %s", r.label, id, rep.Case(id).Failures[0])
			}
			// The mutation table of the closing note: go test ./conformance/ -run TestMutations -v | grep MUTATION
			n := rep.Counts()
			t.Logf("MUTATION %-40s failed %v (expected %v); passed %d observed %d skipped %d", r.label, got, exp, n[conformance.Passed], n[conformance.Observed], n[conformance.Skipped])
		})
	}
}

// TestFindingsAttributed puts a wrapper in front of data8test that changes answers of two
// operations, and checks that the checking transport attributes each finding to the case that made
// the request, and classifies it by the spec: an API key answered by GET /ApiKey/{key} without its
// key breaks a documented rule (ApiKey requires key, and ApiKeyOK's mark says only its status is
// inferred), so exactly the cases that read a key fail, each with that violation; a 404 of
// GET /Job/{name} sent as text/plain is an error body the spec accepts (D-3), so JOB-404 passes.
func TestFindingsAttributed(t *testing.T) {
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	front := httptest.NewServer(rewriting(srv.Handler(), func(r *http.Request, rec *httptest.ResponseRecorder) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/Job/") && rec.Code == http.StatusNotFound:
			rec.Header().Set("Content-Type", "text/plain")
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/ApiKey/") && rec.Code == http.StatusOK:
			var k map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &k) == nil {
				delete(k, "key")
				b, _ := json.Marshal(k)
				rec.Body = bytes.NewBuffer(b)
			}
		}
	}))
	defer front.Close()

	rep := runConfig(t, fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret))
	want := []string{"APIKEY-CREATE", "APIKEY-LIST", "APIKEY-ALLOWED-DOMAIN", "APIKEY-ALLOWED-IP", "APIKEY-ALLOWED-IP-CIDR", "APIKEY-UPDATE", "APIKEY-404", "BODY-JSON-CHARSET"} // in run order
	if got := rep.Failed(); !slices.Equal(got, want) {
		for _, id := range got {
			t.Logf("%s: %s", id, strings.Join(rep.Case(id).Failures, "; "))
		}
		t.Fatalf("failed cases %v; want %v (the cases that read a key)", got, want)
	}
	for _, id := range want {
		c := rep.Case(id)
		if len(c.Violations) == 0 {
			t.Errorf("%s failed without a spec violation: %v", id, c.Failures)
		}
		for _, v := range c.Violations {
			if v.Op != "ApiKey_GetByKey" || !strings.Contains(strings.Join(v.Rules, " "), `"required"`) {
				t.Errorf("%s violation %+v; want the ApiKey without its key", id, v)
			}
		}
	}
	if c := rep.Case("JOB-404"); c.Status != conformance.Passed {
		t.Errorf("JOB-404 is %s (%v %v); a text/plain 404 is an error body the spec accepts", c.Status, c.Failures, c.Deviations)
	}
}

// TestUnknownMemberNamesObserved puts a wrapper in front of data8test that never passes on
// maxRequestsPerIPPerDay in the bodies of POST and PUT /ApiKey, nor the description in the body of
// POST /ClientCredential (it passes on an empty one): a server that takes those members by other names. Its answers never show them
// taken, from the create on, so no read-back is held to them: APIKEY-UPDATE and CLIENTCRED-CREATE
// observe a difference from D-5, and no account case fails.
func TestUnknownMemberNamesObserved(t *testing.T) {
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	inner := srv.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drop, blank := "", ""
		switch {
		case (r.URL.Path == "/ApiKey" && r.Method == http.MethodPost) || (path.Dir(r.URL.Path) == "/ApiKey" && r.Method == http.MethodPut):
			drop = "maxRequestsPerIPPerDay"
		case r.URL.Path == "/ClientCredential" && r.Method == http.MethodPost:
			blank = "description" // the stand-in requires one: an empty one is one never read
		}
		if drop+blank != "" && r.Body != nil {
			var body map[string]any
			b, _ := io.ReadAll(r.Body)
			if json.Unmarshal(b, &body) == nil {
				if drop != "" {
					delete(body, drop)
				} else {
					body[blank] = ""
				}
				b, _ = json.Marshal(body)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		inner.ServeHTTP(w, r)
	}))
	defer front.Close()

	cfg := fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
	cfg.Cases = "APIKEY-*,CLIENTCRED-*"
	rep := runConfig(t, cfg)
	for _, c := range rep.Cases {
		if c.Status == conformance.Failed {
			t.Errorf("%s failed: %s", c.ID, strings.Join(c.Failures, "; "))
		}
	}
	for id, member := range map[string]string{"APIKEY-UPDATE": "maxRequestsPerIPPerDay", "CLIENTCRED-CREATE": "description"} {
		c := rep.Case(id)
		found := false
		for _, d := range c.Deviations {
			found = found || (d.Point == "D-5" && strings.Contains(d.Observed, member))
		}
		if c.Status != conformance.Observed || !found {
			t.Errorf("%s is %s with deviations %+v; want observed, differing from D-5 on %s", id, c.Status, c.Deviations, member)
		}
	}
}
