//! The complex types of the operations we serve, as the real IPS schema orders them. Where a
//! type has optional elements for kinds of data this server does not hold (`Asset/videoInfo`,
//! `ImageInfo/zoomTargets`, …) they are left out; every required element is here.

use super::{
    ComplexType, Field,
    Ty::{Bool, Complex, DateTime, Double, Int, Long, Str},
    items, opt, req,
};

const fn array(name: &'static str, item: &'static [Field]) -> ComplexType {
    ComplexType { name, fields: item }
}

/// Every complex type the operations use.
pub const TYPES: &[ComplexType] = &[
    ComplexType {
        name: "Asset",
        fields: &[
            opt("assetHandle", Str),
            opt("type", Str),
            opt("subType", Str),
            opt("name", Str),
            opt("fileName", Str),
            opt("folder", Str),
            opt("folderHandle", Str),
            opt("trashState", Str),
            opt("created", DateTime),
            opt("createUser", Str),
            opt("lastModified", DateTime),
            opt("lastModifyUser", Str),
            opt("imageInfo", Complex("ImageInfo")),
        ],
    },
    ComplexType {
        name: "ImageInfo",
        fields: &[
            opt("originalPath", Str),
            opt("originalFile", Str),
            opt("width", Int),
            opt("height", Int),
            opt("fileSize", Long),
            opt("urlModifier", Str),
            opt("urlPostApplyModifier", Str),
        ],
    },
    ComplexType {
        name: "Folder",
        fields: &[
            opt("folderHandle", Str),
            opt("path", Str),
            opt("lastModified", DateTime),
            opt("childLastModified", DateTime),
            opt("hasSubfolders", Bool),
            opt("subfolderArray", Complex("FolderArray")),
        ],
    },
    ComplexType {
        name: "PermissionSet",
        fields: &[opt("permissionSetHandle", Str), opt("permissionArray", Complex("PermissionArray"))],
    },
    ComplexType {
        name: "Permission",
        fields: &[
            opt("groupHandle", Str),
            opt("groupName", Str),
            opt("permissionType", Str),
            opt("isAllowed", Bool),
            opt("isOverride", Bool),
        ],
    },
    ComplexType {
        name: "User",
        fields: &[
            req("userHandle", Str),
            req("firstName", Str),
            req("lastName", Str),
            req("email", Str),
            req("defaultRole", Str),
            req("isValid", Bool),
            opt("passwordExpires", DateTime),
        ],
    },
    ComplexType {
        name: "Company",
        fields: &[
            req("companyHandle", Str),
            req("name", Str),
            req("rootPath", Str),
            opt("expires", DateTime),
        ],
    },
    ComplexType {
        name: "CompanyMembership",
        fields: &[req("company", Complex("Company")), req("role", Str), req("isActive", Bool)],
    },
    ComplexType {
        name: "ActiveJob",
        fields: &[
            req("companyHandle", Str),
            req("jobHandle", Str),
            req("name", Str),
            req("originalName", Str),
            req("type", Str),
            req("state", Str),
            req("submitUserEmail", Str),
            opt("locale", Str),
            opt("description", Str),
            req("serverName", Str),
            req("startDate", DateTime),
            req("totalSize", Int),
            req("progress", Int),
            req("progressMessage", Str),
            req("lastProgressUpdate", DateTime),
            req("taskProgressArray", Complex("TaskProgressArray")),
        ],
    },
    ComplexType {
        name: "TaskProgress",
        fields: &[
            req("taskType", Str),
            req("taskState", Str),
            req("numProcessed", Int),
            req("numProcessing", Int),
            req("numPending", Int),
            req("progress", Double),
            req("progressMessage", Str),
            req("lastProgressUpdate", DateTime),
            req("taskItemProgressArray", Complex("TaskItemProgressArray")),
        ],
    },
    ComplexType {
        name: "TaskItemProgress",
        fields: &[
            req("itemName", Str),
            req("progress", Double),
            req("progressMessage", Str),
            req("lastProgressUpdate", DateTime),
        ],
    },
    ComplexType {
        name: "JobLog",
        fields: &[
            req("companyHandle", Str),
            req("jobHandle", Str),
            req("jobName", Str),
            req("originalJobName", Str),
            req("submitUserEmail", Str),
            req("logType", Str),
            req("jobSubType", Str),
            opt("startDate", DateTime),
            opt("endDate", DateTime),
            req("description", Str),
            req("fileSuccessCount", Int),
            req("fileErrorCount", Int),
            req("fileWarningCount", Int),
            req("fileDuplicateCount", Int),
            req("fileUpdateCount", Int),
            req("totalFileCount", Int),
            req("transferSuccessCount", Int),
            req("transferErrorCount", Int),
            req("transferWarningCount", Int),
            req("fatalError", Bool),
            opt("detailTotalRows", Int),
            opt("detailArray", Complex("JobLogDetailArray")),
        ],
    },
    ComplexType {
        name: "JobLogDetail",
        fields: &[
            req("logMessage", Str),
            req("logType", Str),
            opt("assetName", Str),
            opt("assetType", Str),
            opt("assetHandle", Str),
        ],
    },
    ComplexType {
        name: "AssetOperationFault",
        fields: &[req("assetHandle", Str), req("code", Int), req("reason", Str)],
    },
    ComplexType {
        name: "UploadUrlsJob",
        fields: &[
            opt("urlArray", Complex("UploadUrlArray")),
            opt("numUrls", Int),
            req("overwrite", Bool),
            req("readyForPublish", Bool),
            req("createMask", Bool),
            req("emailSetting", Str),
        ],
    },
    ComplexType { name: "UploadUrl", fields: &[req("sourceUrl", Str), req("destPath", Str)] },
    ComplexType { name: "AssetMove", fields: &[req("assetHandle", Str), req("folderHandle", Str)] },
    ComplexType { name: "AssetCount", fields: &[req("assetType", Str), req("count", Int)] },
    ComplexType {
        name: "SystemFieldCondition",
        fields: &[req("field", Str), req("op", Str), opt("value", Str)],
    },
    array("StringArray", &[items(Str)]),
    array("HandleArray", &[items(Str)]),
    array("AssetArray", &[items(Complex("Asset"))]),
    array("FolderArray", &[items(Complex("Folder"))]),
    array("CompanyMembershipArray", &[items(Complex("CompanyMembership"))]),
    array("ActiveJobArray", &[items(Complex("ActiveJob"))]),
    array("TaskProgressArray", &[items(Complex("TaskProgress"))]),
    array("TaskItemProgressArray", &[items(Complex("TaskItemProgress"))]),
    array("JobLogArray", &[items(Complex("JobLog"))]),
    array("JobLogDetailArray", &[items(Complex("JobLogDetail"))]),
    array("AssetOperationFaultArray", &[items(Complex("AssetOperationFault"))]),
    array("UploadUrlArray", &[items(Complex("UploadUrl"))]),
    array("AssetMoveArray", &[items(Complex("AssetMove"))]),
    array("AssetCountArray", &[items(Complex("AssetCount"))]),
    array("PermissionSetArray", &[items(Complex("PermissionSet"))]),
    array("PermissionArray", &[items(Complex("Permission"))]),
    array("SystemFieldConditionArray", &[items(Complex("SystemFieldCondition"))]),
];

/// The complex type named `name`; every name the operations use is defined (a test checks).
pub fn complex(name: &str) -> &'static ComplexType {
    TYPES.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("IPS type {name} is not defined"))
}
