# SPDX-License-Identifier: MIT
"""Writes the testbed's Outlook: a .reg file (Windows Registry Editor 5.00, UTF-16LE) and
MAPISVC.INF. Usage: outlook_fixture.py SETUP.REG MAPISVC.INF

- Click-to-Run Microsoft 365, 64-bit, version 16.0.17928.20114;
- HKCU ...\\Office\\16.0\\Outlook\\Profiles: "Outlook" (the default) whose message-service
  sections hold the Kerio service (001f3d0a = PR_SERVICE_DLL_NAME, 001f300a =
  PR_PROVIDER_DLL_NAME, UTF-16LE "kofmsp.dll" as REG_BINARY) and a second profile "Büro"
  (non-ASCII on purpose) with a PST only;
- HKLM Software\\Clients\\Mail\\Microsoft Outlook with the MAPI component id (its qualified
  component is not installed in the testbed, so the agent falls back as MFCMAPI does);
- MAPISVC.INF with the standard PST service and the Kerio service (full DLL paths; its transport
  provider names a DLL of its own, koftrans.dll, as a service's providers may).
"""
import sys

KOFF_DIR = r"C:\Program Files\Kerio\Outlook Connector (Offline Edition)"


def binary(text):
    data = (text + "\0").encode("utf-16-le")
    return "hex:" + ",".join(f"{b:02x}" for b in data)


def main():
    reg, ini = sys.argv[1], sys.argv[2]
    profiles = r"HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles"
    lines = ["Windows Registry Editor Version 5.00", ""]

    def key(path, values):
        lines.append(f"[{path}]")
        for name, value in values:
            lines.append(f'"{name}"={value}')
        lines.append("")

    key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Office\ClickToRun\Configuration", [
        ("Platform", '"x64"'), ("VersionToReport", '"16.0.17928.20114"'),
        ("ProductReleaseIds", '"O365ProPlusRetail"'),
        ("InstallationPath", r'"C:\\Program Files\\Microsoft Office"')])
    key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Clients\Mail\Microsoft Outlook", [
        ("MSIComponentID", '"{FF1D0740-D227-11D1-A4B0-006008AF820E}"')])
    key(r"HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook", [
        ("DefaultProfile", '"Outlook"')])
    key(profiles, [])
    key(profiles + r"\Outlook", [])
    key(profiles + r"\Outlook\9375CFF0413111d3B88A00104B2A6676", [
        ("001f3001", binary("Kerio Outlook Connector (Offline Edition)")),
        ("001f3d0a", binary("kofmsp.dll")), ("001f3d0b", binary("ServiceEntry"))])
    key(profiles + r"\Outlook\0a0d020000000000c000000000000046", [
        ("001f300a", binary("kofmsp.dll")), ("00033e03", "dword:00000001")])
    key(profiles + r"\Outlook\f86ed2903a4a11cfb57e524153480001", [
        ("001f3001", binary("Personal Folders")), ("001f3d0a", binary("mspst.dll"))])
    key(profiles + "\\Büro", [])
    key(profiles + "\\Büro\\13dbb0c8aa05101a9bb000aa002fc45a", [
        ("001f3d0a", binary("mspst.dll")), ("001f3001", binary("Archiv"))])
    with open(reg, "w", encoding="utf-16", newline="\r\n") as f:
        f.write("\n".join(lines) + "\n")

    dll = KOFF_DIR + r"\kofmsp.dll"
    # A provider of the service with a DLL of its own: a repair must keep each file name.
    transport = KOFF_DIR + r"\koftrans.dll"
    text = f"""[Services]
MSPST MS=Personal Folders File (.pst)
KOFF=Kerio Outlook Connector (Offline Edition)

[Help File Mappings]

[MSPST MS]
PR_DISPLAY_NAME=Personal Folders File (.pst)
Providers=MSPST MSP
PR_SERVICE_DLL_NAME=mspst.dll
PR_SERVICE_ENTRY_NAME=PSTServiceEntry
PR_RESOURCE_FLAGS=SERVICE_NO_PRIMARY_IDENTITY

[MSPST MSP]
PR_PROVIDER_DLL_NAME=mspst.dll
PR_RESOURCE_TYPE=MAPI_STORE_PROVIDER
PR_DISPLAY_NAME=Personal Folders
PR_PROVIDER_DISPLAY=Personal Folders File (.pst)

[KOFF]
PR_DISPLAY_NAME=Kerio Outlook Connector (Offline Edition)
Providers=KOFF Store,KOFF Transport
PR_SERVICE_DLL_NAME={dll}
PR_SERVICE_ENTRY_NAME=ServiceEntry
PR_RESOURCE_FLAGS=SERVICE_SINGLE_COPY

[KOFF Store]
PR_DISPLAY_NAME=Kerio Outlook Connector Store
PR_PROVIDER_DISPLAY=Kerio Outlook Connector Store
PR_PROVIDER_DLL_NAME={dll}
PR_RESOURCE_TYPE=MAPI_STORE_PROVIDER
PR_RESOURCE_FLAGS=STATUS_DEFAULT_STORE

[KOFF Transport]
PR_DISPLAY_NAME=Kerio Outlook Connector Transport
PR_PROVIDER_DISPLAY=Kerio Outlook Connector Transport
PR_PROVIDER_DLL_NAME={transport}
PR_RESOURCE_TYPE=MAPI_TRANSPORT_PROVIDER
PR_RESOURCE_FLAGS=STATUS_NO_DEFAULT_STORE
"""
    with open(ini, "w", encoding="latin-1", newline="\r\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
