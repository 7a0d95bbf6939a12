"""An IPS client as integrators write one: zeep builds it from our WSDL, authenticates with
the authHeader, copies an image, polls the job to completion and reads the copy back.

Exits non-zero, with the reason on stderr, when any step does not behave as IPS would.
"""

import sys
import time

from zeep import Client, Settings
from zeep.exceptions import Fault


def main(base, email, password, company, source, folder):
    client = Client(f"{base}/scene7/webservice/IpsApi-2014-04-03.wsdl", settings=Settings(strict=True))
    auth = client.get_element("{http://www.scene7.com/IpsApi/xsd}authHeader")
    header = auth(user=email, password=password, appName="zeep-client", appVersion="1")
    service = client.service

    info = service.getCompanyInfo(companyHandle=company, _soapheaders=[header])
    assert info.companyHandle == company, info

    name = "zeep-copy"
    copied = service.copyImage(
        companyHandle=company,
        assetHandle=source,
        folderHandle=folder,
        name=name,
        urlModifier="wid=120&fmt=png",
        _soapheaders=[header],
    )
    handle = copied
    assert isinstance(handle, str) and handle.startswith("a|"), copied

    deadline = time.monotonic() + 60
    while True:
        logs = service.getJobLogDetails(companyHandle=company, originalName=name, _soapheaders=[header])
        # zeep flattens an IPS array (one repeated `items`) into a plain list.
        if logs:
            log = logs[0]
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"the copy job for {name} did not finish within 60 s")
        time.sleep(0.1)
    assert log.fileSuccessCount == 1 and not log.fatalError, log
    assert log.detailArray["items"][0].assetHandle == handle, log

    assets = service.getAssets(companyHandle=company, assetHandleArray={"items": [handle]}, _soapheaders=[header])
    asset = assets[0]
    assert asset.name == name and asset.type == "Image", asset
    assert asset.imageInfo.width == 120, asset.imageInfo

    try:
        service.copyImage(
            companyHandle=company, assetHandle=source, folderHandle=folder, name=name,
            urlModifier="", _soapheaders=[header],
        )
    except Fault as fault:
        detail = fault.detail[0]
        code = detail.find("{*}code").text
        # IPS answers a name already in use with 30000 (a real capture), not 30001.
        assert code == "30000", f"a name clash should be fault 30000, got {code}"
    else:
        raise SystemExit("copying onto a used name did not fault")

    print(f"ok: {handle} rendered at {asset.imageInfo.width}x{asset.imageInfo.height}")


if __name__ == "__main__":
    if len(sys.argv) != 7:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
