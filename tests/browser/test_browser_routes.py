"""An incident's vehicles and routes in a real headless Chromium: the dispatcher calls trucks in, plans the routes
and sees each truck's stops in order with their arrival times, then moves a stop to another truck (desktop, and
the same page on a phone)."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NOW
from tests.browser.test_browser_dispatch import dispatch_ready, fits_the_screen, log_in  # noqa: F401 (fixture)
from tests.browser.test_browser_order_board import planned_incident  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def test_a_dispatcher_calls_trucks_in_plans_routes_and_sees_the_stops(live_server, app, engine, county,
                                                                     planned_incident, desktop, phone):  # noqa: F811
    from orders import services as orders
    from dispatch import planning
    from transport import fleet

    app.config["ROUTE_TIME_LIMIT_SECONDS"] = 1  # the planner returns its best plan by then
    plan = planning.latest_plan(engine, county.dispatcher, planned_incident)
    orders.approve_plan(engine, county.dispatcher, NOW, incident_id=planned_incident, plan_id=plan["id"])
    for plate, depot in (("鲁A10001", "C1"), ("鲁A10002", "C1"), ("鲁A20001", "T1")):
        fleet.create_vehicle(engine, county.admin, fleet.VehicleFields(plate=plate, kind="own", capacity_kg=5000,
                                                                       capacity_m3=20, home_depot=depot), NOW)
    codes = sorted(o["code"] for o in orders.list_orders(engine, county.dispatcher, incident=planned_incident))

    page = desktop
    log_in(page, live_server, "dispatcher", "dispatcher-pass")
    page.goto(f"{live_server}/incidents/{planned_incident}")
    page.locator("a.incident-routes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("车辆与路线")
    expect(page.locator("#routes")).to_contain_text("尚未调用车辆。")
    for plate in ("鲁A10001", "鲁A10002", "鲁A20001"):
        page.locator(f".call-in-list input[value='{plate}']").check()
    page.get_by_role("button", name="调用", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已调用 3 辆车。")
    page.get_by_role("button", name="规划路线").click()
    expect(page.locator(".flash")).to_contain_text("路线已规划")
    stops = page.locator(".route-stops tbody tr")
    expect(stops).to_have_count(len(codes))
    on_routes = sorted(stops.evaluate_all("rows => rows.map(r => r.dataset.stop)"))
    assert on_routes == codes
    for n in range(len(codes)):
        expect(stops.nth(n).locator("td.datetime")).to_contain_text("2026年7月1日")
    expect(page.locator("#unserved")).to_contain_text("所有站点都已安排到路线。")
    assert fits_the_screen(page)

    # a stop of the county depot moves to the other county truck
    route = page.locator(".vehicle-route", has=page.locator(".route-stops tbody tr")).filter(
        has=page.locator("form.move-stop")).first
    stop = route.locator(".route-stops tbody tr").first.get_attribute("data-stop")
    plate = route.get_attribute("data-plate")
    other = "鲁A10002" if plate == "鲁A10001" else "鲁A10001"
    route.locator(f"tr[data-stop='{stop}'] form.move-stop button").click()
    expect(page.locator(".flash")).to_contain_text(f"站点 {stop} 已移至 {other}。")
    expect(page.locator(f".vehicle-route[data-plate='{other}'] tr[data-stop='{stop}']")).to_be_visible()

    log_in(phone, live_server, "dispatcher", "dispatcher-pass")
    phone.goto(f"{live_server}/incidents/{planned_incident}/routes")
    expect(phone.locator(".route-stops tbody tr")).to_have_count(len(codes))
    assert fits_the_screen(phone)
