"""POST /accounts/logout/: the login page it lands on says the logout worked."""


def test_logging_out_says_so_on_the_login_page(operator_client):
    response = operator_client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "You are logged out." in response.content.decode()


def test_it_needs_a_post(operator_client):
    assert operator_client.get("/accounts/logout/").status_code == 405
