"""Full alerts_v2 load with the official Microsoft Graph Python SDK (msgraph-sdk), paging by
@odata.nextLink, against a graphsec emulator; run by benches/sdk_compare.sh.

Usage: sdk_load.py BASE_URL [TOP]. Prints the alert count, seconds and alerts per second."""
import asyncio, sys, time
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.security.alerts_v2.alerts_v2_request_builder import Alerts_v2RequestBuilder

class StaticToken(AccessTokenProvider):
    """The emulator accepts any bearer token; no sign-in is involved."""

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "bench"
    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])

async def main(base_url, top):
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()))
    adapter.base_url = base_url
    client = GraphServiceClient(request_adapter=adapter)
    cfg = Alerts_v2RequestBuilder.Alerts_v2RequestBuilderGetRequestConfiguration(
        query_parameters=Alerts_v2RequestBuilder.Alerts_v2RequestBuilderGetQueryParameters(top=top))
    started = time.perf_counter()
    page = await client.security.alerts_v2.get(request_configuration=cfg)
    alerts = list(page.value or [])
    while page.odata_next_link:
        page = await client.security.alerts_v2.with_url(page.odata_next_link).get()
        alerts.extend(page.value or [])
    elapsed = time.perf_counter() - started
    print(f"msgraph-sdk (Python): {len(alerts)} alerts in {elapsed:.2f} s = {len(alerts)/elapsed:.0f} alerts/s")

asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
