//! The operations we serve: who may call each, and its `Param` and `Return` elements as the
//! real IPS schema has them (2013-02-15, which the older versions we serve are subsets of).

use super::{
    Field,
    Ty::{Bool, Complex, DateTime, Int, Str},
    opt, req,
};
use crate::domain::role::Access;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Works inside the company named by `companyHandle`, with read or write access.
    Company(Access),
    /// Concerns the caller's own account: any user holding a role that may read somewhere.
    User,
}

/// An input the real schema allows that this server does not implement: a request sending it
/// gets an `ipsApiFault` naming it, never results that silently ignore it.
#[derive(Debug)]
pub struct Refused {
    pub name: &'static str,
    pub why: &'static str,
}

/// One operation of the contract.
#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub scope: Scope,
    pub param: &'static [Field],
    pub ret: &'static [Field],
    /// Inputs of `param` left out of our WSDLs and refused when sent.
    pub refused: &'static [Refused],
    /// Required inputs that older clients leave out; the operation gives them a default.
    pub lenient: &'static [&'static str],
}

const COMPANY: Field = req("companyHandle", Str);
const ACCESS_USER: Field = opt("accessUserHandle", Str);
const RESPONSE_FIELDS: Field = opt("responseFieldArray", Complex("StringArray"));
const EXCLUDE_FIELDS: Field = opt("excludeFieldArray", Complex("StringArray"));
const PERMISSION_SETS: Field = opt("permissionSetArray", Complex("PermissionSetArray"));
const HANDLES: Field = req("assetHandleArray", Complex("HandleArray"));

const NO_GROUPS: Refused =
    Refused { name: "accessGroupHandle", why: "this server has no user groups; impersonate a user instead" };

/// `successCount` … `errorDetailArray`, the reply of the batch asset calls.
const BATCH_RESULT: &[Field] = &[
    req("successCount", Int),
    req("warningCount", Int),
    req("errorCount", Int),
    opt("warningDetailArray", Complex("AssetOperationFaultArray")),
    opt("errorDetailArray", Complex("AssetOperationFaultArray")),
];

const fn op(name: &'static str, scope: Scope, param: &'static [Field], ret: &'static [Field]) -> Operation {
    Operation { name, scope, param, ret, refused: &[], lenient: &[] }
}

const READ: Scope = Scope::Company(Access::Read);
const WRITE: Scope = Scope::Company(Access::Write);

/// Every operation the front implements. The WSDLs list exactly these.
pub const OPERATIONS: &[Operation] = &[
    op(
        "checkAssetNames",
        READ,
        &[COMPANY, req("assetNameArray", Complex("StringArray"))],
        &[req("inUseNameArray", Complex("StringArray"))],
    ),
    op(
        "checkLogin",
        Scope::User,
        &[opt("companyHandle", Str), req("email", Str), req("password", Str)],
        &[req("status", Str)],
    ),
    op(
        "copyImage",
        WRITE,
        &[
            COMPANY,
            req("assetHandle", Str),
            req("folderHandle", Str),
            req("name", Str),
            req("urlModifier", Str),
        ],
        &[req("assetHandle", Str)],
    ),
    op("createFolder", WRITE, &[COMPANY, req("folderPath", Str)], &[req("folderHandle", Str)]),
    op("deleteAsset", WRITE, &[COMPANY, req("assetHandle", Str)], &[]),
    op("deleteAssets", WRITE, &[COMPANY, HANDLES], BATCH_RESULT),
    op("deleteFolder", WRITE, &[COMPANY, req("folderHandle", Str)], &[]),
    op("emptyAssetsFromTrash", WRITE, &[COMPANY, HANDLES], BATCH_RESULT),
    op(
        "getActiveJobs",
        READ,
        &[opt("companyHandle", Str), opt("jobHandle", Str), opt("originalName", Str)],
        &[req("jobArray", Complex("ActiveJobArray"))],
    ),
    Operation {
        refused: &[NO_GROUPS],
        ..op(
            "getAssets",
            READ,
            &[COMPANY, ACCESS_USER, HANDLES, RESPONSE_FIELDS, EXCLUDE_FIELDS],
            &[opt("assetArray", Complex("AssetArray"))],
        )
    },
    Operation {
        refused: &[NO_GROUPS],
        ..op(
            "getAssetsByName",
            READ,
            &[
                COMPANY,
                ACCESS_USER,
                req("nameArray", Complex("StringArray")),
                opt("assetTypeArray", Complex("StringArray")),
                opt("excludeAssetTypeArray", Complex("StringArray")),
                opt("assetSubTypeArray", Complex("StringArray")),
                opt("strictSubTypeCheck", Bool),
                RESPONSE_FIELDS,
                EXCLUDE_FIELDS,
            ],
            &[opt("assetArray", Complex("AssetArray"))],
        )
    },
    op("getAssetCounts", READ, &[COMPANY], &[opt("countArray", Complex("AssetCountArray"))]),
    op(
        "getCompanyInfo",
        READ,
        &[opt("companyHandle", Str), opt("companyName", Str)],
        &[req("companyInfo", Complex("Company"))],
    ),
    op(
        "getCompanyMembership",
        Scope::User,
        &[opt("userHandle", Str)],
        &[req("membershipArray", Complex("CompanyMembershipArray"))],
    ),
    Operation {
        refused: &[NO_GROUPS],
        ..op(
            "getFolderTree",
            READ,
            &[
                COMPANY,
                ACCESS_USER,
                opt("folderPath", Str),
                req("depth", Int),
                opt("assetTypeArray", Complex("StringArray")),
                RESPONSE_FIELDS,
                EXCLUDE_FIELDS,
            ],
            // No permission sets here (folders carry no permissions), but the element is declared
            // as in IPS: with a single child, toolkits would unwrap the reply to that child.
            &[opt("folders", Complex("Folder")), PERMISSION_SETS],
        )
    },
    Operation {
        refused: &[NO_GROUPS],
        ..op(
            "getFolders",
            READ,
            &[
                COMPANY,
                ACCESS_USER,
                opt("folderPath", Str),
                opt("assetTypeArray", Complex("StringArray")),
                RESPONSE_FIELDS,
                EXCLUDE_FIELDS,
            ],
            &[opt("folderArray", Complex("FolderArray")), PERMISSION_SETS],
        )
    },
    op(
        "getJobLogDetails",
        READ,
        &[
            COMPANY,
            opt("jobHandle", Str),
            opt("originalName", Str),
            opt("logTypeArray", Complex("StringArray")),
            opt("recordsPerPage", Int),
            opt("resultsPage", Int),
            opt("sortBy", Str),
            opt("sortDirection", Str),
        ],
        &[req("jobLogArray", Complex("JobLogArray"))],
    ),
    op(
        "getJobLogs",
        READ,
        &[
            opt("companyHandle", Str),
            opt("userHandle", Str),
            opt("sortBy", Str),
            opt("sortDirection", Str),
            opt("startDate", DateTime),
            opt("endDate", DateTime),
            opt("numRows", Int),
        ],
        &[req("jobLogArray", Complex("JobLogArray"))],
    ),
    op(
        "getUserInfo",
        Scope::User,
        &[opt("userHandle", Str), opt("email", Str)],
        &[req("userInfo", Complex("User"))],
    ),
    op("moveAsset", WRITE, &[COMPANY, req("assetHandle", Str), req("folderHandle", Str)], &[]),
    op("moveAssets", WRITE, &[COMPANY, req("assetMoveArray", Complex("AssetMoveArray"))], BATCH_RESULT),
    op(
        "moveFolder",
        WRITE,
        &[COMPANY, req("folderHandle", Str), req("destFolderHandle", Str)],
        &[req("folderHandle", Str)],
    ),
    op(
        "renameAsset",
        WRITE,
        &[COMPANY, req("assetHandle", Str), req("newName", Str), req("validateName", Bool)],
        &[],
    ),
    op(
        "renameFolder",
        WRITE,
        &[COMPANY, req("folderHandle", Str), req("folderName", Str)],
        &[req("folderHandle", Str)],
    ),
    op("restoreAssetsFromTrash", WRITE, &[COMPANY, HANDLES], BATCH_RESULT),
    Operation {
        refused: &[
            NO_GROUPS,
            Refused { name: "publishState", why: "this server does not publish assets" },
            Refused { name: "keywordArray", why: "assets have no keywords here yet: no call sets them" },
            Refused { name: "tagMatchMode", why: "assets have no tags here yet: no call sets them" },
            Refused { name: "tagConditionArray", why: "assets have no tags here yet: no call sets them" },
            Refused { name: "metadataMatchMode", why: "assets have no metadata here yet: no call sets it" },
            Refused {
                name: "metadataConditionArray",
                why: "assets have no metadata here yet: no call sets it",
            },
            Refused { name: "excludeByproducts", why: "this server makes no byproducts" },
            Refused { name: "excludeByproductArray", why: "this server makes no byproducts" },
            Refused { name: "projectHandle", why: "this server has no projects" },
        ],
        lenient: &["includeSubfolders"],
        ..op(
            "searchAssets",
            READ,
            &[
                COMPANY,
                ACCESS_USER,
                opt("folder", Str),
                req("includeSubfolders", Bool),
                opt("trashState", Str),
                opt("conditionMatchMode", Str),
                opt("systemFieldMatchMode", Str),
                opt("systemFieldConditionArray", Complex("SystemFieldConditionArray")),
                opt("assetTypeArray", Complex("StringArray")),
                opt("excludeAssetTypeArray", Complex("StringArray")),
                opt("assetSubTypeArray", Complex("StringArray")),
                opt("strictSubTypeCheck", Bool),
                opt("recordsPerPage", Int),
                opt("resultsPage", Int),
                opt("sortBy", Str),
                opt("sortDirection", Str),
                RESPONSE_FIELDS,
                EXCLUDE_FIELDS,
            ],
            &[opt("totalRows", Int), opt("assetArray", Complex("AssetArray"))],
        )
    },
    op(
        "setUrlModifier",
        WRITE,
        &[COMPANY, req("assetHandle", Str), opt("urlModifier", Str), opt("urlPostApplyModifier", Str)],
        &[],
    ),
    Operation {
        refused: SUBMIT_JOB_REFUSED,
        ..op(
            "submitJob",
            WRITE,
            &[
                COMPANY,
                req("jobName", Str),
                opt("locale", Str),
                opt("description", Str),
                opt("uploadUrlsJob", Complex("UploadUrlsJob")),
            ],
            &[req("jobHandle", Str)],
        )
    },
];

/// `submitJob` runs URL uploads (imports) only, at once, as the caller.
const SUBMIT_JOB_REFUSED: &[Refused] = &[
    Refused { name: "userHandle", why: "a job runs as the user who submits it" },
    Refused { name: "execTime", why: "jobs run at once; schedule them from the client" },
    Refused { name: "execSchedule", why: "jobs run at once; schedule them from the client" },
    Refused { name: "imageServingPublishJob", why: ONLY_URL_UPLOADS },
    Refused { name: "imageRenderingPublishJob", why: ONLY_URL_UPLOADS },
    Refused { name: "videoPublishJob", why: ONLY_URL_UPLOADS },
    Refused { name: "serverDirectoryPublishJob", why: ONLY_URL_UPLOADS },
    Refused { name: "metadataPublishJob", why: ONLY_URL_UPLOADS },
    Refused { name: "uploadDirectoryJob", why: ONLY_URL_UPLOADS },
    Refused { name: "optimizeImagesJob", why: ONLY_URL_UPLOADS },
    Refused { name: "ripPdfsJob", why: ONLY_URL_UPLOADS },
    Refused { name: "reprocessAssetsJob", why: ONLY_URL_UPLOADS },
    Refused { name: "createVideoSitemapJob", why: ONLY_URL_UPLOADS },
    Refused { name: "exportJob", why: ONLY_URL_UPLOADS },
    Refused { name: "automatedSetGenerationJob", why: ONLY_URL_UPLOADS },
];

const ONLY_URL_UPLOADS: &str = "the one job type this server runs is uploadUrlsJob";

/// The operation named `name`, if we serve it.
pub fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}
