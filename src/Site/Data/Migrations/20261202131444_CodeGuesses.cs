using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityTwoFactor.Data.Migrations
{
    /// <inheritdoc />
    public partial class CodeGuesses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CodeGuesses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 36, nullable: false),
                    CodeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ClientKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AtUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CodeGuesses", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CodeGuesses_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CodeGuesses_AtUtc",
                table: "CodeGuesses",
                column: "AtUtc");

            migrationBuilder.CreateIndex(
                name: "IX_CodeGuesses_CodeId_ClientKey",
                table: "CodeGuesses",
                columns: new[] { "CodeId", "ClientKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CodeGuesses_UserId_AtUtc",
                table: "CodeGuesses",
                columns: new[] { "UserId", "AtUtc" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CodeGuesses");
        }
    }
}
