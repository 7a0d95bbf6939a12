"""A zeep client as Scene7 integrators build one: from a given IPS WSDL (Adobe's published file,
or ours), strict parsing, pointed at a running ipscopy. Calls every operation ipscopy serves,
over SOAP 1.1 and once (copyImage) over SOAP 1.2, reads the copy back field by field and checks
that the three IPS faults reach zeep as their typed fault elements.

Usage: adobe_client.py WSDL BASE_URL EMAIL PASSWORD COMPANY FOLDER SOURCE_ASSET READER_EMAIL
READER_EMAIL is a member whose role may only read; their password is PASSWORD too.

Prints `ok: <op> ...` per passing step and `FAIL: <op>: ...` per failing one, goes on past a
failure where later steps can, and exits non-zero listing every failure.
"""

import sys
import time

from zeep import Client
from zeep.exceptions import Fault

IPS = "{http://www.scene7.com/IpsApi}"
XSD = "{http://www.scene7.com/IpsApi/xsd}"
SOAP11 = IPS + "IpsApiServiceSoapBinding"
SOAP12 = IPS + "IpsApiServiceSoap12Binding"


def items(array):
    """The entries of an IPS array, whether zeep flattened it to a list or kept its `items`."""
    if array is None:
        return []
    return array if isinstance(array, list) else list(array["items"] or [])


def bare(folder_handle):
    """A folder handle without the `f|` of API 4.5+ handles, to compare either form."""
    return folder_handle[2:] if folder_handle and folder_handle.startswith("f|") else folder_handle


class Session:
    def __init__(self, wsdl, base, email, password, company, folder, source, reader):
        self.client = Client(wsdl)  # strict by default, as integrators run it
        address = f"{base}/scene7/services/IpsApiService"
        self.ips = self.client.create_service(SOAP11, address)
        self.ips12 = self.client.create_service(SOAP12, address)
        self.auth = self.client.get_element(XSD + "authHeader")
        self.me = [self.auth(user=email, password=password, appName="adobe-wsdl-zeep", appVersion="1")]
        self.email, self.password, self.reader = email, password, reader
        self.company, self.folder, self.source = company, folder, source
        self.name = "adobe-zeep-copy"
        self.copy = self.copy12 = self.made = self.dest = None

    def need(self, handle, what):
        if handle is None:
            raise AssertionError(f"no {what} to work on: that copyImage failed")
        return handle

    # Operations, in an order where each finds what the earlier ones made.

    def getCompanyInfo(self):
        info = self.ips.getCompanyInfo(companyHandle=self.company, _soapheaders=self.me)
        assert info.companyHandle == self.company, info
        return f"{info.companyHandle} {info.name!r} rootPath={info.rootPath!r}"

    def checkLogin(self):
        status = self.ips.checkLogin(
            companyHandle=self.company, email=self.email, password=self.password, _soapheaders=self.me
        )
        assert status == "ValidLogin", status
        return status

    def getUserInfo(self):
        user = self.ips.getUserInfo(email=self.email, _soapheaders=self.me)
        assert user.email == self.email, user
        return f"{user.userHandle} {user.email} {user.firstName!r} {user.lastName!r} {user.defaultRole}"

    def getCompanyMembership(self):
        memberships = items(self.ips.getCompanyMembership(_soapheaders=self.me))
        handles = [m.company.companyHandle for m in memberships]
        assert self.company in handles, memberships
        return ", ".join(f"{m.company.companyHandle}={m.role}" for m in memberships)

    def createFolder(self):
        path = bare(self.folder) + "adobe-zeep/"
        handle = self.ips.createFolder(companyHandle=self.company, folderPath=path, _soapheaders=self.me)
        assert bare(handle) == path, handle
        self.made = handle
        return handle

    def copyImage(self):
        self.copy = self.ips.copyImage(
            companyHandle=self.company, assetHandle=self.source, folderHandle=self.folder,
            name=self.name, urlModifier="wid=120&fmt=png", _soapheaders=self.me,
        )
        assert isinstance(self.copy, str) and self.copy.startswith("a|"), self.copy
        return self.copy

    def copyImage_soap12(self):
        self.copy12 = self.ips12.copyImage(
            companyHandle=self.company, assetHandle=self.source, folderHandle=self.folder,
            name=self.name + "-12", urlModifier="wid=40", _soapheaders=self.me,
        )
        assert isinstance(self.copy12, str) and self.copy12.startswith("a|"), self.copy12
        return f"{self.copy12} over SOAP 1.2"

    def getActiveJobs(self):
        jobs = items(self.ips.getActiveJobs(companyHandle=self.company, _soapheaders=self.me))
        return f"{len(jobs)} active: " + ", ".join(f"{j.jobHandle} {j.type} {j.state}" for j in jobs)

    def submitJob(self):
        # A name that never resolves: the job is accepted and its one file retried meanwhile.
        job = self.ips.submitJob(
            companyHandle=self.company, jobName="adobe-zeep-urls",
            uploadUrlsJob={
                "urlArray": {"items": [{"sourceUrl": "https://images.invalid/chelsea.png",
                                        "destPath": bare(self.folder) + "adobe-zeep-url.png"}]},
                "overwrite": False, "readyForPublish": True, "createMask": False, "emailSetting": "None",
            },
            _soapheaders=self.me,
        )
        assert isinstance(job, str) and "UrlUpload" in job, job
        active = items(self.ips.getActiveJobs(companyHandle=self.company, jobHandle=job, _soapheaders=self.me))
        logs = items(self.ips.getJobLogDetails(companyHandle=self.company, jobHandle=job, _soapheaders=self.me))
        seen = [(a.type, a.totalSize) for a in active] + [(log.jobSubType, log.totalFileCount) for log in logs]
        assert seen == [("UrlUpload", 1)], seen
        return f"{job} {seen}"

    def getAssets(self):
        handle = self.need(self.copy, "copy")
        deadline = time.monotonic() + 60
        while True:  # the copy renders asynchronously; its size is known once it has
            found = items(self.ips.getAssets(
                companyHandle=self.company, assetHandleArray={"items": [handle]}, _soapheaders=self.me
            ))
            assert len(found) == 1, found
            asset = found[0]
            if asset.imageInfo is not None and asset.imageInfo.width:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{handle} has no imageInfo width after 60 s: {asset}")
            time.sleep(0.2)
        fields = {
            "assetHandle": asset.assetHandle, "name": asset.name, "type": asset.type,
            "fileName": asset.fileName, "folderHandle": asset.folderHandle,
            "trashState": asset.trashState, "created": asset.created, "createUser": asset.createUser,
            "lastModified": asset.lastModified, "imageInfo.width": asset.imageInfo.width,
            "imageInfo.height": asset.imageInfo.height,
        }
        missing = [k for k, v in fields.items() if v in (None, "")]
        assert not missing, f"the copy lacks {missing}: {asset}"
        assert asset.assetHandle == handle and asset.name == self.name, fields
        assert asset.type == "Image" and asset.trashState == "NotInTrash", fields
        assert bare(asset.folderHandle) == bare(self.folder), fields
        assert asset.imageInfo.width == 120 and asset.imageInfo.height > 0, fields
        return " ".join(f"{k}={v}" for k, v in fields.items())

    def getAssetsByName(self):
        found = items(self.ips.getAssetsByName(
            companyHandle=self.company, nameArray={"items": [self.name]}, _soapheaders=self.me
        ))
        assert [a.assetHandle for a in found] == [self.need(self.copy, "copy")], found
        return f"{self.name} -> {found[0].assetHandle} fileName={found[0].fileName}"

    def searchAssets(self):
        reply = self.ips.searchAssets(
            companyHandle=self.company, folder=self.folder, includeSubfolders=True, _soapheaders=self.me
        )
        found = items(reply.assetArray)
        names = sorted(a.name for a in found)
        assert self.name in names, names
        return f"totalRows={reply.totalRows} {names}"

    def getFolders(self):
        reply = self.ips.getFolders(companyHandle=self.company, _soapheaders=self.me)
        paths = [bare(f.folderHandle) for f in items(reply.folderArray)]
        assert bare(self.folder) in paths, paths
        return " ".join(paths)

    def getFolderTree(self):
        reply = self.ips.getFolderTree(companyHandle=self.company, depth=-1, _soapheaders=self.me)
        root = reply.folders  # one Folder, the root, its children in subfolderArray
        assert root is not None and root.folderHandle, reply
        children = [bare(f.folderHandle) for f in items(root.subfolderArray)]
        assert bare(self.folder) in children, children
        return f"root {root.folderHandle} with {children}"

    def getJobLogDetails(self):
        logs = items(self.ips.getJobLogDetails(
            companyHandle=self.company, originalName=self.name, _soapheaders=self.me
        ))
        assert logs, "no job log for the copy"
        log = logs[0]
        assert log.fileSuccessCount == 1 and not log.fatalError, log
        return f"{log.jobHandle} {log.logType} success={log.fileSuccessCount}"

    def getJobLogs(self):
        reply = self.ips.getJobLogs(companyHandle=self.company, _soapheaders=self.me)
        logs = items(reply)
        assert any(log.originalJobName == self.name for log in logs), logs
        return f"{len(logs)} logs"

    def checkAssetNames(self):
        in_use = items(self.ips.checkAssetNames(
            companyHandle=self.company, assetNameArray={"items": [self.name, "adobe-zeep-unused"]},
            _soapheaders=self.me,
        ))
        assert in_use == [self.name], in_use
        return f"in use: {in_use}"

    def setUrlModifier(self):
        self.ips.setUrlModifier(
            companyHandle=self.company, assetHandle=self.need(self.copy, "copy"),
            urlModifier="op_sharpen=1", _soapheaders=self.me,
        )
        return self.copy

    def renameAsset(self):
        self.ips.renameAsset(
            companyHandle=self.company, assetHandle=self.need(self.copy, "copy"), newName=self.name + "-final",
            validateName=True, _soapheaders=self.me,
        )
        return f"{self.copy} is {self.name}-final"

    def moveAsset(self):
        self.ips.moveAsset(
            companyHandle=self.company, assetHandle=self.need(self.copy, "copy"),
            folderHandle=self.need(self.made, "folder"), _soapheaders=self.me,
        )
        return f"{self.copy} in {self.made}"

    def moveAssets(self):
        back = {"items": [{"assetHandle": self.need(self.copy, "copy"), "folderHandle": self.folder}]}
        reply = self.ips.moveAssets(companyHandle=self.company, assetMoveArray=back, _soapheaders=self.me)
        assert (reply.successCount, reply.errorCount) == (1, 0), reply
        return f"{self.copy} back in {self.folder}"

    def renameFolder(self):
        handle = self.ips.renameFolder(
            companyHandle=self.company, folderHandle=self.need(self.made, "folder"),
            folderName="adobe-zeep-renamed", _soapheaders=self.me,
        )
        assert bare(handle) == bare(self.folder) + "adobe-zeep-renamed/", handle
        self.made = handle
        return handle

    def moveFolder(self):
        dest = self.ips.createFolder(
            companyHandle=self.company, folderPath=bare(self.folder) + "adobe-zeep-dest/", _soapheaders=self.me
        )
        handle = self.ips.moveFolder(
            companyHandle=self.company, folderHandle=self.need(self.made, "folder"), destFolderHandle=dest,
            _soapheaders=self.me,
        )
        assert bare(handle) == bare(dest) + "adobe-zeep-renamed/", handle
        self.dest = dest
        return handle

    def deleteFolder(self):
        self.ips.deleteFolder(companyHandle=self.company, folderHandle=self.need(self.dest, "folder"), _soapheaders=self.me)
        left = [bare(f.path) for f in items(self.ips.getFolders(companyHandle=self.company, _soapheaders=self.me).folderArray)]
        assert not any(path.startswith(bare(self.dest)) for path in left), left
        return f"{self.dest} and its subfolder gone"

    def getAssetCounts(self):
        reply = self.ips.getAssetCounts(companyHandle=self.company, _soapheaders=self.me)
        counts = {c.assetType: c.count for c in items(reply)}
        assert counts.get("Image", 0) >= 2, counts
        return f"{counts}"

    def emptyAssetsFromTrash(self):
        handles = {"items": [self.need(self.copy12, "SOAP 1.2 copy")]}
        deadline = time.monotonic() + 30
        while True:  # a copy still rendering is refused until its render lands
            reply = self.ips.emptyAssetsFromTrash(companyHandle=self.company, assetHandleArray=handles, _soapheaders=self.me)
            rendering = reply.errorCount and "still being rendered" in items(reply.errorDetailArray)[0].reason
            if not rendering or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (reply.successCount, reply.errorCount) == (1, 0), reply
        return f"{self.copy12} emptied"

    def deleteAsset(self):
        self.ips.deleteAsset(
            companyHandle=self.company, assetHandle=self.need(self.copy12, "SOAP 1.2 copy"), _soapheaders=self.me
        )
        return f"{self.copy12} to the trash"

    def restoreAssetsFromTrash(self):
        return self.batch(self.ips.restoreAssetsFromTrash)

    def deleteAssets(self):
        return self.batch(self.ips.deleteAssets)

    def batch(self, operation):
        handles = {"items": [self.need(self.copy12, "SOAP 1.2 copy")]}
        reply = operation(companyHandle=self.company, assetHandleArray=handles, _soapheaders=self.me)
        assert (reply.successCount, reply.errorCount) == (1, 0), reply
        return f"success={reply.successCount} warning={reply.warningCount} error={reply.errorCount}"

    # Faults: each must reach zeep as the typed element its operation declares.

    def ipsApiFault(self):
        return self.fault("copyImage", "ipsApiFault", None, lambda: self.ips.copyImage(
            companyHandle=self.company, assetHandle=self.source, folderHandle=self.folder,
            name="adobe-zeep-bad", urlModifier="wid=abc", _soapheaders=self.me,
        ))

    def authenticationFault(self):
        wrong = [self.auth(user=self.email, password=self.password + "-wrong")]
        return self.fault("getCompanyInfo", "authenticationFault", 10001, lambda: self.ips.getCompanyInfo(
            companyHandle=self.company, _soapheaders=wrong,
        ))

    def authorizationFault(self):
        reader = [self.auth(user=self.reader, password=self.password)]
        return self.fault("copyImage", "authorizationFault", 20003, lambda: self.ips.copyImage(
            companyHandle=self.company, assetHandle=self.source, folderHandle=self.folder,
            name="adobe-zeep-forbidden", urlModifier="wid=10", _soapheaders=reader,
        ))

    def fault(self, operation, element, code, call):
        try:
            call()
        except Fault as fault:
            assert fault.detail is not None and len(fault.detail), f"fault {fault.message!r} has no detail"
            detail = fault.detail[0]
            assert detail.tag == XSD + element, f"detail element is {detail.tag}, expected {XSD}{element}"
            for child in ("code", "reason"):
                assert detail.find(XSD + child) is not None, f"{element} has no {XSD}{child}"
            typed = self.typed_fault(operation, detail)
            assert code is None or typed.code == code, f"code {typed.code}, expected {code}"
            return f"{element} code={typed.code} reason={typed.reason!r}"
        raise AssertionError(f"expected {element}, the call succeeded")

    def typed_fault(self, operation, detail):
        """Parses a fault detail with the fault message of `operation` that declares its element."""
        faults = self.client.wsdl.bindings[SOAP11].get(operation).faults
        for message in faults.values():
            for part in message.abstract.parts.values():
                if part.element is not None and part.element.qname == detail.tag:
                    return part.element.parse(detail, self.client.wsdl.types)
        raise AssertionError(f"{detail.tag} is none of {operation}'s fault messages {list(faults)}")


STEPS = [
    "getCompanyInfo", "checkLogin", "getUserInfo", "getCompanyMembership", "createFolder",
    "copyImage", "copyImage_soap12", "getActiveJobs", "submitJob", "getAssets", "getAssetsByName", "searchAssets",
    "getFolders", "getFolderTree", "getJobLogDetails", "getJobLogs", "checkAssetNames", "setUrlModifier",
    "renameAsset", "moveAsset", "moveAssets", "renameFolder", "moveFolder", "deleteFolder", "getAssetCounts",
    "deleteAsset", "restoreAssetsFromTrash", "deleteAssets", "emptyAssetsFromTrash",
    "ipsApiFault", "authenticationFault", "authorizationFault",
]


def main(args):
    try:
        session = Session(*args)
    except Exception as error:  # a WSDL zeep cannot fetch or read fails before any call
        raise SystemExit(f"FAIL: no client from {args[0]}: {type(error).__name__}: {error}")
    failures = []
    for step in STEPS:
        try:
            print(f"ok: {step} {getattr(session, step)()}", flush=True)
        except Exception as error:  # every failing step is reported, not only the first
            failures.append(f"{step}: {type(error).__name__}: {error}")
            print(f"FAIL: {failures[-1]}", flush=True)
    if failures:
        raise SystemExit(f"{len(failures)} of {len(STEPS)} steps failed:\n" + "\n".join(failures))


if __name__ == "__main__":
    if len(sys.argv) != 9:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
